"""The real trained Rasa model, served the way `make run` serves it, understands people."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.localapi.client import LocalUser
from bot.localapi.world import LocalTelegram
from bot.nlu import NluClient
from bot.nlu_service import MODEL, RASA, start_rasa
from bot.runner import serving, webhook
from bot.settings import ROOT
from tests.conftest import BOT_TOKEN, _unavailable, webhook_env
from tests.test_onboarding import onboard_in_russian

pytestmark = pytest.mark.rasa


@pytest.fixture(scope="session")
def rasa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The service as the README starts it (`make nlu`), on a free port; (url, token)."""
    if not RASA.exists() or not MODEL.exists():
        _unavailable("the NLU model is not trained: run `make train`")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url, token = f"http://127.0.0.1:{port}", secrets.token_urlsafe(16)
    log: Path = tmp_path_factory.mktemp("rasa") / "rasa.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "nlu", f"NLU_PORT={port}"],
            cwd=ROOT,
            env={**os.environ, "NLU_AUTH_TOKEN": token},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"make nlu exited: {log.read_text()[-2000:]}")
            try:
                status = httpx.get(f"{url}/status", params={"token": token}, timeout=2)
                if status.status_code == 200 and status.json().get("model_file"):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        else:
            pytest.fail(f"rasa did not become ready: {log.read_text()[-2000:]}")
        yield url, token
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
    # --quiet: nothing a person wrote reaches the service's log.
    assert "не дышит" not in log.read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("hello is anyone there", "greet"),
        ("где сдать тест на вич анонимно", "hiv_testing"),
        ("my friend is not breathing after a shot", "overdose_emergency"),
        ("менты хотят меня обыскать что делать", "rights_police"),
    ],
)
async def test_client_gets_intents_from_the_real_model(
    rasa: tuple[str, str], text: str, intent: str
) -> None:
    client = NluClient(rasa[0], 10, rasa[1])
    await client.open()
    try:
        assert await client.ready()
        understood = await client.parse(text, "ru")
    finally:
        await client.close()
    assert understood.intent.name == intent


async def test_wrong_token_is_treated_as_unavailable(rasa: tuple[str, str]) -> None:
    client = NluClient(rasa[0], 10, "wrong")
    await client.open()
    try:
        assert not await client.ready()
    finally:
        await client.close()


async def test_conversation_with_the_real_model(
    rasa: tuple[str, str], make_settings: Any, telegram: LocalTelegram, tmp_path: Path
) -> None:
    settings = make_settings(
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_BASE_URL=telegram.base_url,
        NLU_URL=rasa[0],
        NLU_AUTH_TOKEN=rasa[1],
        OPORA_NLU__TIMEOUT_SECONDS="10",
    )
    async with serving(settings):
        person = LocalUser(telegram, 31337, "Max", "ru")
        await onboard_in_russian(person)
        shown = await person.say("где можно сдать тест на вич")
        assert "Тестирование на ВИЧ" in shown[0].text
        shown = await person.say("мой друг не дышит после дозы")
        assert shown[0].text.startswith("🚑")


def test_batch_parse_gives_canonical_entities(rasa: tuple[str, str], tmp_path: Path) -> None:
    """`python -m bot nlu parse` against the real service, as people checking the model use it."""
    import json
    import sys

    env = {
        **os.environ,
        "NLU_URL": rasa[0],
        "NLU_AUTH_TOKEN": rasa[1],
        "OPORA_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "nlu", "parse", "--lang", "ru"],
        cwd=ROOT,
        env=env,
        input="где пункт обмена шприцев в Алматы\nu Beogradu gde da se testiram na hiv\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["intent"] == "find_service"
    assert {"entity": "service_type", "value": "needle_syringe"} in first["entities"]
    assert {"entity": "city", "value": "Almaty"} in first["entities"]
    assert {"entity": "city", "value": "Belgrade"} in second["entities"]


def test_held_out_quality_floors(tmp_path: Path) -> None:
    """`make nlu-eval` on the trained model; the floors guard against regressions.

    The targets of issue 3 are higher; measured values are in docs/benchmarks.md.
    """
    import json

    out = tmp_path / "eval.json"
    result = subprocess.run(
        ["make", "--no-print-directory", "nlu-eval", f"EVAL_ARGS=--json {out}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "macro-F1" in result.stdout
    assert "External off-topic set" in result.stdout
    table = json.loads(out.read_text())["languages"]
    assert set(table) == {"en", "ru", "uk", "kk", "ky", "tg", "sr", "ro"}
    for lang, row in table.items():
        assert row["n"] >= 28 * 8, lang
        assert row["macro_f1"] >= FLOORS["macro_f1"], (lang, row)
        assert row["in_scope_rejected"] <= 0.05, (lang, row)
        assert row["recall_overdose_emergency"] >= FLOORS["urgent"], (lang, row)
        assert row["recall_mental_health_crisis"] >= FLOORS["urgent"], (lang, row)


# Regression floors, a little under what the committed model measures (docs/benchmarks.md).
FLOORS = {"macro_f1": 0.88, "urgent": 0.8}


async def _ready(url: str, token: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError, ValueError):
                status = await client.get(f"{url}/status", params={"token": token}, timeout=2)
                if status.status_code == 200 and status.json().get("model_file"):
                    return
            await asyncio.sleep(1)
    pytest.fail("the second NLU replica did not become ready")


@pytest.mark.postgres
async def test_an_nlu_replica_killed_mid_conversation_and_restarted(
    rasa: tuple[str, str],
    make_settings: Any,
    telegram: LocalTelegram,
    tmp_path: Path,
    postgres_url: str,
) -> None:
    """Two real replicas; one is killed (SIGKILL) while a person talks, then started again."""
    url, token = rasa
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        second = f"http://127.0.0.1:{sock.getsockname()[1]}"
    replica = start_rasa(second, token, tmp_path / "second.log")
    try:
        await _ready(second, token)
        settings = make_settings(
            DATABASE_URL=postgres_url,
            TELEGRAM_BOT_TOKEN=BOT_TOKEN,
            TELEGRAM_BASE_URL=telegram.base_url,
            NLU_URL=f"{url},{second}",
            NLU_AUTH_TOKEN=token,
            OPORA_NLU__TIMEOUT_SECONDS="10",
            OPORA_NLU__PROBE_INTERVAL_SECONDS="1",
            OPORA_SAFETY__BURST="60",
            **webhook_env(),
        )
        person = LocalUser(telegram, 31338, "Max", "ru")

        async def ask(times: int) -> None:
            for _ in range(times):
                shown = await person.say("где можно сдать тест на вич")
                assert "Тестирование на ВИЧ" in shown[0].text

        async with webhook(settings) as server:
            metrics = server.services.metrics
            await onboard_in_russian(person)

            def served(replica_url: str) -> float:
                sample = metrics.registry.get_sample_value(
                    "opora_nlu_request_seconds_count", {"replica": replica_url}
                )
                return sample or 0.0

            await ask(4)
            assert served(url) >= 1 and served(second) >= 1
            os.killpg(replica.pid, signal.SIGKILL)
            replica.wait(10)
            # Mid-conversation: every question is still understood by the model.
            await ask(4)
            assert [r.up for r in server.services.nlu.replicas] == [True, False]
            answered_by_second = served(second)
            replica = start_rasa(second, token, tmp_path / "second.log")
            await _ready(second, token)
            await asyncio.sleep(1.5)  # the next probe
            assert [r.up for r in server.services.nlu.replicas] == [True, True]
            await ask(4)
            assert served(second) > answered_by_second
            assert not metrics.registry.get_sample_value("opora_nlu_fallbacks_total")
            report, healthy = await server.health()
            assert healthy and report["status"] == "ok"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(replica.pid, signal.SIGTERM)
        replica.wait(30)
