"""Webhook mode end to end: the local Telegram posts updates to the bot's own HTTP server, as
Telegram does in production, and the bot answers through the Bot API as always."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.localapi.client import LocalUser, settle
from bot.localapi.world import LocalTelegram
from bot.runner import webhook
from bot.settings import Settings
from bot.webhook import SECRET_HEADER, WebhookServer
from tests.conftest import bot_settings, free_port, webhook_env
from tests.fake_nlu import FakeNlu
from tests.test_report import CODE, tap


@pytest.fixture
def settings(
    make_settings: Any, database_url: str, telegram: LocalTelegram, nlu: FakeNlu
) -> Settings:
    nlu.script.answers["where can i get tested for hiv"] = [("hiv_testing", 0.97)]
    return bot_settings(make_settings, database_url, telegram, nlu, **webhook_env())


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[WebhookServer]:
    async with webhook(settings) as running:
        yield running


def local(server: WebhookServer, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


async def consult(person: LocalUser, text: str) -> str:
    """Ask for a paralegal (a consultation case) from the main menu; the case code shown."""
    await person.press("Talk to a person")
    await tap(person, "rep:agree:consultation")
    await person.say(text)
    await tap(person, "rep:done")
    await tap(person, "rep:one:bot")
    await tap(person, "rep:one:no")
    shown = await tap(person, "rep:submit")
    code = CODE.search(shown[-1].text)
    assert code, shown[-1].text
    return code.group(0)


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus text page (0 if absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


async def test_people_are_answered_through_the_webhook(
    server: WebhookServer, telegram: LocalTelegram
) -> None:
    assert telegram.webhook_url == server.settings.url
    assert telegram.webhook_secret == "test-webhook-secret"
    person = LocalUser(telegram, 5101, "Ann", "en")
    shown = await person.say("/start")
    assert "English" in [button.label.strip("✅ ") for button in shown[0].buttons]
    await person.press("English")
    await person.press("Moldova")
    await person.press("Understood")
    shown = await person.say("where can i get tested for hiv")
    assert "test" in shown[-1].text.lower()
    # Every update went by webhook, answered 200 once; the bot never polled.
    assert all(d.attempts == [200] for d in telegram.delivery.deliveries.values())
    assert len(telegram.delivery.deliveries) == 5
    assert not [call for call in telegram.calls if call.method == "getUpdates"]


async def test_posts_without_the_secret_are_refused_and_not_read(
    server: WebhookServer, telegram: LocalTelegram
) -> None:
    telegram.add_user(5102, "Eve")
    update = {
        "update_id": 999_001,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 5102, "type": "private", "first_name": "Eve"},
            "from": {"id": 5102, "is_bot": False, "first_name": "Eve", "language_code": "en"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    body = json.dumps(update)
    url = local(server, "/telegram")
    async with httpx.AsyncClient() as client:
        missing = await client.post(url, content=body)
        wrong = await client.post(url, content=body, headers={SECRET_HEADER: "guess"})
        await asyncio.sleep(0.3)
        assert (missing.status_code, wrong.status_code) == (403, 403)
        assert not telegram.bot_messages(5102)
        assert server.services.ledger.outcomes.total() == 0
        right = await client.post(url, content=body, headers={SECRET_HEADER: server.secret})
        assert right.status_code == 200
        assert len(telegram.bot_messages(5102)) == 1
        # Telegram posts again when it missed our answer: the update is not handled twice.
        again = await client.post(url, content=body, headers={SECRET_HEADER: server.secret})
        assert again.status_code == 200
        assert len(telegram.bot_messages(5102)) == 1
        # Garbage with the right secret is dropped (Telegram would otherwise repeat it forever).
        garbage = await client.post(url, content=b"{not json", headers={SECRET_HEADER: "x"})
        assert garbage.status_code == 403
        junk = await client.post(url, content=b"[1, 2", headers={SECRET_HEADER: server.secret})
        assert junk.status_code == 200
        page = (await client.get(local(server, "/metrics"))).text
    assert metric(page, "opora_webhook_posts_total", status="403") == 3
    assert metric(page, "opora_updates_total", kind="unreadable", outcome="dropped") == 1
    assert metric(page, "opora_updates_total", kind="command", outcome="answered") == 1


async def test_the_webhook_is_removed_on_stop_and_waiting_updates_come_after_start(
    settings: Settings, telegram: LocalTelegram
) -> None:
    person = LocalUser(telegram, 5103, "Ann", "en")
    async with webhook(settings):
        await person.say("/start")
    assert telegram.webhook_url == ""
    # Written while the bot was stopped: Telegram keeps it and posts it after the next start.
    telegram.user_sends(person.user_id, text="/start")
    await asyncio.sleep(0.3)
    assert len(telegram.bot_messages(person.user_id)) == 1
    async with webhook(settings):
        await settle(telegram)
        assert len(telegram.bot_messages(person.user_id)) == 2


async def test_health_reports_the_bot_the_database_and_each_nlu_replica(
    make_settings: Any, database_url: str, telegram: LocalTelegram, nlu: FakeNlu
) -> None:
    second = FakeNlu()
    await second.start()
    dead = f"http://127.0.0.1:{free_port()}"
    settings = bot_settings(
        make_settings,
        database_url,
        telegram,
        nlu,
        **webhook_env(),
        NLU_URL=f"{nlu.url},{second.url},{dead}",
        OPORA_NLU__PROBE_INTERVAL_SECONDS="0.2",
    )
    try:
        async with webhook(settings) as server, httpx.AsyncClient() as client:
            await asyncio.sleep(0.5)  # the first probe
            answer = await client.get(local(server, "/healthz"))
            report = answer.json()
            assert answer.status_code == 200
            assert report["status"] == "degraded"
            assert report["database"] == "up"
            assert report["bot"]["running"] is True
            assert [r["up"] for r in report["nlu"]["replicas"]] == [True, True, False]
            # A replica dies while nobody writes: the probe notices.
            await second.stop()
            await asyncio.sleep(0.6)
            report = (await client.get(local(server, "/healthz"))).json()
            assert [r["up"] for r in report["nlu"]["replicas"]] == [True, False, False]
    finally:
        await second.stop()


async def test_requests_spread_over_nlu_replicas_skipping_a_dead_one(
    make_settings: Any, database_url: str, telegram: LocalTelegram, nlu: FakeNlu
) -> None:
    second = FakeNlu()
    await second.start()
    dead = f"http://127.0.0.1:{free_port()}"
    for fake in (nlu, second):
        fake.script.answers["where can i get tested for hiv"] = [("hiv_testing", 0.97)]
    settings = bot_settings(
        make_settings,
        database_url,
        telegram,
        nlu,
        **webhook_env(),
        NLU_URL=f"{nlu.url},{dead},{second.url}",
        OPORA_NLU__PROBE_INTERVAL_SECONDS="0.3",
        OPORA_SAFETY__BURST="50",
    )
    person = LocalUser(telegram, 5104, "Ann", "en")
    try:
        async with webhook(settings) as server, httpx.AsyncClient() as client:
            await person.say("/start")
            await person.press("English")
            await person.press("Moldova")
            await person.press("Understood")

            async def ask(times: int) -> None:
                for _ in range(times):
                    shown = await person.say("where can i get tested for hiv")
                    assert "test" in shown[-1].text.lower(), shown[-1].text

            await ask(6)
            first, second_count = len(nlu.script.requests), len(second.script.requests)
            assert first >= 2 and second_count >= 2 and first + second_count == 6
            # The second replica stops answering: everything goes to the first, nobody waits.
            second.script.down = True
            await ask(4)
            assert len(nlu.script.requests) == first + 4
            report = (await client.get(local(server, "/healthz"))).json()
            assert [r["up"] for r in report["nlu"]["replicas"]] == [True, False, False]
            # It comes back: the probe notices, and it takes its share again.
            second.script.down = False
            await asyncio.sleep(0.8)
            await ask(4)
            assert len(second.script.requests) >= second_count + 1
            page = (await client.get(local(server, "/metrics"))).text
    finally:
        await second.stop()
    assert metric(page, "opora_nlu_replica_up", replica=dead) == 0
    assert metric(page, "opora_nlu_replica_up", replica=second.url) == 1
    assert metric(page, "opora_nlu_request_seconds_count", replica=nlu.url) == len(
        nlu.script.requests
    )
    assert metric(page, "opora_nlu_fallbacks_total") == 0


async def test_metrics_count_updates_latency_retries_and_open_cases(
    server: WebhookServer, telegram: LocalTelegram
) -> None:
    person = LocalUser(telegram, 5105, "Ann", "en")
    await person.say("/start")
    await person.press("English")
    telegram.inject("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    telegram.inject("sendMessage", 502, "Bad Gateway")
    await person.press("Moldova", timeout=15)
    await person.press("Understood")
    await consult(person, "I need to talk about my treatment")
    async with httpx.AsyncClient() as client:
        answer = await client.get(local(server, "/metrics"))
    assert answer.headers["Content-Type"].startswith("text/plain")
    page = answer.text
    assert metric(page, "opora_updates_total", kind="callback_query", outcome="answered") >= 3
    assert metric(page, "opora_update_seconds_count", kind="callback_query") >= 3
    assert metric(page, "opora_update_seconds_bucket", kind="command", le="+Inf") == 1
    assert metric(page, "opora_outgoing_retries_total", reason="flood") == 1
    assert metric(page, "opora_outgoing_retries_total", reason="network") == 1
    assert metric(page, "opora_cases_open", status="new") == 1
    assert metric(page, "opora_cases_open", status="in_progress") == 0
    assert metric(page, "opora_database_up") == 1
    # Nothing in the page names a person or quotes them.
    assert "5105" not in page and "treatment" not in page and "Ann" not in page
