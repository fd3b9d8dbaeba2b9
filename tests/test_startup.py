"""Start-up problems a person can fix become clear messages, not tracebacks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from bot.localapi.world import LocalTelegram
from bot.runner import StartupError, serving
from bot.settings import ROOT
from tests.conftest import bot_cli


async def test_rejected_token(make_settings: Any, telegram: LocalTelegram, tmp_path: Any) -> None:
    settings = make_settings(
        TELEGRAM_BOT_TOKEN="1:wrong",
        TELEGRAM_BASE_URL=telegram.base_url,
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
    )
    with pytest.raises(StartupError, match=r"rejected the bot token.*BotFather"):
        async with serving(settings):
            pass


async def test_unreachable_server(make_settings: Any, tmp_path: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = make_settings(
        TELEGRAM_BOT_TOKEN="1:abc",
        TELEGRAM_BASE_URL=f"http://127.0.0.1:{port}",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
    )
    with pytest.raises(StartupError, match="Cannot reach the Bot API server"):
        async with serving(settings):
            pass


@pytest.mark.postgres
async def test_unreachable_database(make_settings: Any, telegram: LocalTelegram) -> None:
    settings = make_settings(
        TELEGRAM_BOT_TOKEN="123456:test-token",
        TELEGRAM_BASE_URL=telegram.base_url,
        DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/opora",
    )
    with pytest.raises(StartupError, match=r"cannot open the database.*DATABASE_URL"):
        async with serving(settings):
            pass


def run_cli(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return bot_cli(command, env=env, timeout=60)


def test_cli_reports_bad_config_without_traceback(tmp_path: Any) -> None:
    env = {**os.environ, "OPORA_NLU__TIMEOUT_SECONDS": "zero", "OPORA_DATA_DIR": str(tmp_path)}
    result = run_cli("check-config", env)
    assert result.returncode == 2
    assert "nlu.timeout_seconds" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_rejected_token_exits_cleanly(telegram_process_env: dict[str, str]) -> None:
    result = run_cli("run", telegram_process_env)
    assert result.returncode == 2
    assert "rejected the bot token" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def telegram_process_env(tmp_path: Any) -> Iterator[dict[str, str]]:
    """A Bot API server in another process that rejects every token (it knows another one)."""
    script = (
        "import asyncio,sys\n"
        "from bot.localapi.server import LocalBotApiServer\n"
        "from bot.localapi.world import LocalTelegram\n"
        "async def main():\n"
        "    s = LocalBotApiServer(LocalTelegram('9:other'))\n"
        "    await s.start()\n"
        "    print(s.base_url, flush=True)\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    base_url = server.stdout.readline().strip()
    yield {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "1:abc",
        "TELEGRAM_BASE_URL": base_url,
        "OPORA_DATA_DIR": str(tmp_path),
        "OPORA_NLU__MANAGE": "external",
    }
    server.kill()
    server.wait()
