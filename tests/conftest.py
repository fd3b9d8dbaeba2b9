"""Fixtures: settings on a temporary database, the local Bot API server, a fake NLU, a running bot.

PostgreSQL tests use the server at 127.0.0.1:5432, each in a fresh database. Where it is not
running they skip locally, but fail under CI (CI=true) or OPORA_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, text

from bot.crypto import generate_key
from bot.localapi.client import LocalUser
from bot.localapi.server import LocalBotApiServer
from bot.localapi.world import LocalTelegram
from bot.logs import quiet_libraries
from bot.runner import serving
from bot.settings import ROOT, Settings, load_settings
from tests.fake_nlu import TOKEN as NLU_TOKEN
from tests.fake_nlu import FakeNlu

# Tests log as production does: libraries that log personal data at DEBUG are held back.
quiet_libraries()

BOT_TOKEN = "123456:test-token"
PG_ADMIN = os.environ.get("OPORA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_SERVICES = os.environ.get("CI") == "true" or os.environ.get("OPORA_REQUIRE_SERVICES") == "1"


def _unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (required under CI)")
    pytest.skip(reason)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"opora_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        _unavailable(f"PostgreSQL is not reachable at {PG_ADMIN}: {type(exc).__name__}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0]
    yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://")
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each end-to-end test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/opora.sqlite3"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def make_settings(tmp_path: Path) -> Any:
    """Settings from the real config.yml, with test overrides in the environment mapping."""

    def make(**env: str) -> Settings:
        base = {
            "OPORA_DATA_DIR": str(tmp_path / "data"),
            "OPORA_DATA_KEY": KEY,
            "OPORA_NLU__MANAGE": "external",
            "OPORA_PERSISTENCE_INTERVAL_SECONDS": "0.2",
            "OPORA_TELEGRAM__POLL_TIMEOUT_SECONDS": "1",
        }
        return load_settings(env={**base, **env})

    return make


KEY = generate_key()


def cli_env(**values: str) -> dict[str, str]:
    """The environment of a `python -m bot` process: this one's, without Opora settings that
    may be set around the test run, plus `values`."""
    outside = ("OPORA_", "TELEGRAM_", "DATABASE_URL", "NLU_")
    return {
        **{key: value for key, value in os.environ.items() if not key.startswith(outside)},
        **values,
    }


def bot_cli(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` in a fresh process, as an operator would run it."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
async def telegram() -> AsyncIterator[LocalTelegram]:
    """The local Bot API server, with the test bot's token."""
    world = LocalTelegram(BOT_TOKEN)
    server = LocalBotApiServer(world)
    await server.start()
    yield world
    await server.stop()


@pytest.fixture
async def nlu() -> AsyncIterator[FakeNlu]:
    fake = FakeNlu()
    await fake.start()
    yield fake
    await fake.stop()


def bot_settings(
    make_settings: Any, database_url: str, telegram: LocalTelegram, nlu: FakeNlu, **env: str
) -> Settings:
    """Settings for a bot on this database, the local Bot API server and the fake NLU."""
    base = {
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_BASE_URL": telegram.base_url,
        "NLU_URL": nlu.url,
        "NLU_AUTH_TOKEN": NLU_TOKEN,
    }
    return make_settings(**{**base, **env})  # type: ignore[no-any-return]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webhook_env(port: int | None = None) -> dict[str, str]:
    """Environment for webhook mode on a free local port (the local server accepts http)."""
    port = port or free_port()
    return {
        "TELEGRAM_MODE": "webhook",
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "TELEGRAM_WEBHOOK_SECRET": "test-webhook-secret",
        "OPORA_TELEGRAM__WEBHOOK__PORT": str(port),
        "OPORA_TELEGRAM__FLOOD_LIMITS": "false",
    }


@pytest.fixture
def settings(
    make_settings: Any, database_url: str, telegram: LocalTelegram, nlu: FakeNlu
) -> Settings:
    return bot_settings(make_settings, database_url, telegram, nlu)


@pytest.fixture
async def running_bot(settings: Settings) -> AsyncIterator[Any]:
    """The real application, polling the local Bot API server."""
    async with serving(settings) as application:
        yield application


@pytest.fixture
def person(running_bot: Any, telegram: LocalTelegram) -> LocalUser:
    """Someone whose Telegram is set to Russian."""
    return LocalUser(telegram, 777001, "Аня", "ru")


def database_dump(settings: Settings) -> str:
    """Everything stored in every table, as text, to prove what is and is not there."""
    from bot.db.database import resolve_url
    from bot.settings import ROOT

    _, sync_url = resolve_url(settings.database.url, ROOT)
    engine = create_engine(sync_url)
    parts = []
    with engine.connect() as connection:
        for table in ("profiles", "stored_state", "cases", "case_events"):
            for row in connection.execute(text(f"SELECT * FROM {table}")):
                parts.append(repr(tuple(row)))
    engine.dispose()
    return "\n".join(parts)
