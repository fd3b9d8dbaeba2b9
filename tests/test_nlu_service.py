"""The real trained Rasa model, served the way `make run` serves it, understands people."""

from __future__ import annotations

import secrets
import socket
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
from bot.runner import serving
from tests.conftest import BOT_TOKEN, _unavailable
from tests.test_onboarding import onboard_in_russian

pytestmark = pytest.mark.rasa


@pytest.fixture(scope="session")
def rasa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`rasa run` on a free port with the model `make train` built; (url, token)."""
    if not RASA.exists() or not MODEL.exists():
        _unavailable("the NLU model is not trained: run `make train`")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url, token = f"http://127.0.0.1:{port}", secrets.token_urlsafe(16)
    log: Path = tmp_path_factory.mktemp("rasa") / "rasa.log"
    process = start_rasa(url, token, log)
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"rasa exited: {log.read_text()[-2000:]}")
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
        process.terminate()
        process.wait(30)


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
