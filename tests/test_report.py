"""Reports and the paralegal queue, end to end through the local Bot API server."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.cases import store
from bot.crypto import Cipher
from bot.db import Database
from bot.localapi.client import LocalUser, Shown, settle
from bot.localapi.world import LocalTelegram
from bot.runner import serving
from bot.settings import ROOT, Settings
from tests.conftest import BOT_TOKEN, KEY, bot_settings, database_dump
from tests.fake_nlu import TOKEN as NLU_TOKEN
from tests.fake_nlu import FakeNlu
from tests.test_onboarding import onboard_in_russian

WORKSPACE = -100777
OLENA, AIDAR = 9001, 9002
STORY = "Полицейские на посту забрали мои дозы метадона"
CODE = re.compile(r"\b[2-9A-HJ-NP-Z]{3}-[2-9A-HJ-NP-Z]{3}\b")


@pytest.fixture
def settings(
    make_settings: Any, database_url: str, telegram: LocalTelegram, nlu: FakeNlu
) -> Settings:
    telegram.add_group(WORKSPACE, "Paralegals")
    telegram.add_user(OLENA, "Olena")
    telegram.add_user(AIDAR, "Aidar")
    return bot_settings(
        make_settings,
        database_url,
        telegram,
        nlu,
        OPORA_PARALEGALS__GROUPS=f'{{"default": {WORKSPACE}}}',
    )


def _data(shown: Shown) -> list[str]:
    return [b.callback_data or "" for b in shown.buttons]


async def tap(person: LocalUser, data: str) -> list[Shown]:
    """Press the newest button that carries `data`."""
    for shown in reversed(person.messages()):
        for button in shown.buttons:
            if button.callback_data == data:
                return await person.press_button(shown, button)
    raise LookupError(f"no button {data!r}; last: {_data(person.messages()[-1])}")


def workspace_messages(telegram: LocalTelegram) -> list[dict[str, Any]]:
    return [m for (chat, _), m in sorted(telegram.messages.items()) if chat == WORKSPACE]


async def report_in_russian(person: LocalUser, *, evidence: bool = True) -> str:
    await onboard_in_russian(person)
    await person.press("Сообщить о нарушении")
    await tap(person, "rep:agree:report")
    await tap(person, "rep:pick:property")
    await tap(person, "rep:pick:emotional")
    await tap(person, "rep:done")
    await tap(person, "rep:pick:police")
    await tap(person, "rep:done")
    await tap(person, "rep:one:today")
    await person.say("Алматы")
    await tap(person, "rep:pick:ost")
    await tap(person, "rep:done")
    await tap(person, "rep:skip")  # gender
    await tap(person, "rep:one:36-55")
    await person.say(STORY)
    if evidence:
        await person.send(
            photo=[{"file_id": "photo-1", "file_unique_id": "p1", "width": 9, "height": 9}]
        )
    await tap(person, "rep:done")
    await tap(person, "rep:one:bot")
    await tap(person, "rep:one:yes")  # advocacy
    await tap(person, "rep:one:no")  # not urgent
    shown = await tap(person, "rep:submit")
    match = CODE.search(shown[-1].text)
    assert match, shown[-1].text
    return match.group(0)


async def test_full_report_reaches_a_topic_and_paralegals_answer_through_the_bot(
    person: LocalUser, telegram: LocalTelegram, settings: Settings, running_bot: Any
) -> None:
    code = await report_in_russian(person)
    await settle(telegram)
    # A topic named by code, type and town, with the card and the evidence copied into it.
    topics = [m for m in workspace_messages(telegram) if "forum_topic_created" in m]
    names = [m["forum_topic_created"]["name"] for m in topics] if topics else []
    staff = workspace_messages(telegram)
    card = next(m for m in staff if code in (m.get("text") or "") and "desk:take" in repr(m))
    thread = card["message_thread_id"]
    assert STORY in card["text"] and "Алматы" in card["text"]
    assert any("photo" in m and m.get("message_thread_id") == thread for m in staff)
    assert not names or code in names[0]
    everything_staff_saw = repr(staff)
    assert "Аня" not in everything_staff_saw and str(person.user_id) not in everything_staff_saw

    # The client writes more: copied into the topic, never forwarded.
    await person.say("ещё деталь: это было у рынка")
    await settle(telegram)
    relayed = workspace_messages(telegram)[-1]
    assert relayed["text"] == "ещё деталь: это было у рынка"
    assert relayed["message_thread_id"] == thread and "forward_origin" not in relayed

    # Two paralegals press Take: one wins, the other is told who has it.
    telegram.user_presses(OLENA, card, f"desk:take:{code}")
    await settle(telegram)
    telegram.user_presses(AIDAR, card, f"desk:take:{code}")
    await settle(telegram)
    answers = [a for a in telegram.callback_answers.values() if a]
    assert any("Olena" in str(a.get("text")) for a in answers)
    assert "🔔" in person.messages()[-1].text and code in person.messages()[-1].text

    # The paralegal answers in the topic; an internal note stays internal.
    before = len(person.messages())
    telegram.user_sends(OLENA, WORKSPACE, text="!client seems scared", message_thread_id=thread)
    telegram.user_sends(
        OLENA, WORKSPACE, text="Здравствуйте, я вам помогу", message_thread_id=thread
    )
    await settle(telegram)
    new = [s.text for s in person.messages()[before:]]
    assert len(new) == 1 and "Здравствуйте, я вам помогу" in new[0] and code in new[0]
    assert "scared" not in " ".join(s.text for s in person.messages())

    # Outcome and services given are recorded on the card; closing tells the client the
    # outcome in their language and asks for a rating.
    telegram.user_presses(OLENA, card, f"desk:o:{code}:full")
    telegram.user_presses(OLENA, card, f"desk:q:{code}:yes")
    telegram.user_presses(OLENA, card, f"desk:sv:{code}:primary_legal")
    await settle(telegram)
    telegram.user_presses(OLENA, card, f"desk:st:{code}:resolved")
    await settle(telegram)
    closing = person.messages()[-1]
    services = running_bot.bot_data.services
    ru = services.catalogs.get("ru")
    assert code in closing.text and f"sat:{code}:5" in _data(closing)
    assert ru.gettext("Resolved fully") in closing.text
    card_now = telegram.messages[(WORKSPACE, card["message_id"])]["text"]
    assert services.catalogs.get("ru").gettext("Primary legal aid") in card_now
    await tap(person, f"sat:{code}:5")

    trail = await store.events(services.database, code)
    actions = [action for _, action, _ in trail]
    assert actions[:1] == ["submitted"] and "taken" in actions and "note" in actions
    assert "relay_in" in actions and "relay_out" in actions and "satisfaction" in actions
    assert ("paralegal:9001", "note", "client seems scared") in trail

    # At rest: no story, note or relayed words in the database in the clear.
    dump = database_dump(settings)
    for secret in (STORY, "client seems scared", "у рынка", "photo-1"):
        assert secret not in dump
    if settings.uses_sqlite:
        raw = await asyncio.to_thread(
            Path(settings.database.url.removeprefix("sqlite:///")).read_bytes
        )
        assert STORY.encode() not in raw and b"scared" not in raw


async def test_report_in_english_with_skips_and_a_typed_date(
    running_bot: Any, telegram: LocalTelegram
) -> None:
    person = LocalUser(telegram, 4343, "Sam", "en")
    await person.say("/start")
    await person.press("English")
    await person.press("Moldova")
    await person.press("Understood")
    await person.say("/report")
    await tap(person, "rep:agree:report")
    await tap(person, "rep:pick:medical_access")
    await tap(person, "rep:done")
    await tap(person, "rep:skip")  # who
    await tap(person, "rep:one:date")
    shown = await person.say("31.02.2026")
    assert "25.11.2026" in shown[-1].text  # asks again, with an example
    await person.say("03.11.2026")
    assert any(b.request_location for b in person.reply_keyboard)
    await person.share_location(47.0245, 28.8322)  # Chișinău: only the town is kept
    await tap(person, "rep:skip")  # groups
    await tap(person, "rep:skip")  # gender
    await tap(person, "rep:skip")  # age
    await person.say("The clinic refused to test me.")
    await tap(person, "rep:done")
    await tap(person, "rep:one:phone")
    await person.say("+373 600 00000")
    await tap(person, "rep:one:no")
    summary = await tap(person, "rep:one:yes")  # urgent
    assert "2026-11-03" in summary[-1].text and "Urgent" in summary[-1].text
    assert "Chisinau" in summary[-1].text and "47.02" not in summary[-1].text
    shown = await tap(person, "rep:submit")
    code = CODE.search(shown[-1].text)
    assert code
    await settle(telegram)
    staff = repr(workspace_messages(telegram))
    assert "🚨" in staff and "+373 600 00000" in staff  # a phone the person chose to give


async def test_a_half_written_report_survives_a_restart(
    settings: Settings, telegram: LocalTelegram
) -> None:
    person = LocalUser(telegram, 5151, "Аня", "ru")
    async with serving(settings):
        await onboard_in_russian(person)
        await person.press("Сообщить о нарушении")
        await tap(person, "rep:agree:report")
        await tap(person, "rep:pick:physical")
        await asyncio.sleep(0.5)  # the persistence interval
    async with serving(settings):
        shown = await tap(person, "rep:done")
        assert "rep:pick:police" in _data(shown[-1])  # the next step: who did it
        shown = await tap(person, "rep:cancel")
        assert len(shown[-1].buttons) == 8  # the main menu
    assert "physical" not in database_dump(settings)


async def test_withdrawal_deletes_the_content_and_tells_the_workspace(
    person: LocalUser, telegram: LocalTelegram, settings: Settings
) -> None:
    code = await report_in_russian(person, evidence=False)
    # Evidence sent later, in the case chat, is kept with the case and copied to the topic.
    await person.send(document={"file_id": "doc-1", "file_unique_id": "d1", "file_name": "a.pdf"})
    await settle(telegram)
    assert "document" in workspace_messages(telegram)[-1]
    await person.say("/leave")
    cases = await person.say("/case")
    assert code in cases[0].text
    # The advocacy consent (given in the report) can be taken back.
    changed = await tap(person, f"mycase:advocacy:{code}")
    assert "❌" in changed[-1].text
    cases = await person.say("/case")
    await tap(person, f"mycase:withdraw:{code}")
    shown = await tap(person, f"mycase:sure:{code}")
    assert code in shown[-1].text
    await settle(telegram)
    assert "🗑" in workspace_messages(telegram)[-1]["text"]
    dump = database_dump(settings)
    assert "'withdrawn'" in dump


async def test_talk_to_a_person_opens_a_consultation(
    person: LocalUser, telegram: LocalTelegram, running_bot: Any
) -> None:
    await onboard_in_russian(person)
    await person.press("Поговорить с человеком")
    await tap(person, "rep:agree:consultation")
    await person.say("Хочу поговорить о лечении")
    await tap(person, "rep:done")
    await tap(person, "rep:one:bot")
    await tap(person, "rep:one:no")
    shown = await tap(person, "rep:submit")
    code = CODE.search(shown[-1].text)
    assert code
    case = await store.by_code(running_bot.bot_data.services.database, code.group(0))
    assert case.kind == "consultation" and case.story == "Хочу поговорить о лечении"


@pytest.fixture
async def two_databases(postgres_url: str) -> AsyncIterator[tuple[Database, Database]]:
    first = Database(postgres_url, Cipher(KEY), ROOT)
    second = Database(postgres_url, Cipher(KEY), ROOT)
    await first.migrate()
    yield first, second
    await first.close()
    await second.close()


@pytest.mark.postgres
async def test_only_one_of_two_simultaneous_takes_wins(
    two_databases: tuple[Database, Database],
) -> None:
    first, second = two_databases
    case, created = await store.submit(
        first, submission="s1", kind="report", client="c", client_chat=1, language="ru", details={}
    )
    again, created_again = await store.submit(
        second, submission="s1", kind="report", client="c", client_chat=1, language="ru", details={}
    )
    assert created and not created_again and again.code == case.code  # one case per submission
    for _ in range(10):
        case, _ = await store.submit(
            first,
            submission=f"race-{_}",
            kind="report",
            client="c",
            client_chat=1,
            language="ru",
            details={},
        )
        results = await asyncio.gather(
            store.take(first, case.code, 1, "Olena"),
            store.take(second, case.code, 2, "Aidar"),
            return_exceptions=True,
        )
        winners = [r for r in results if isinstance(r, store.CaseView)]
        losers = [r for r in results if isinstance(r, store.AlreadyTaken)]
        assert len(winners) == 1 and len(losers) == 1
        assert losers[0].name == winners[0].taken_by_name


async def test_unclaimed_cases_are_announced_again_and_listed(
    make_settings: Any, tmp_path: Path, telegram: LocalTelegram, nlu: FakeNlu
) -> None:
    telegram.add_group(WORKSPACE, "Paralegals")
    telegram.add_user(OLENA, "Olena")
    settings = make_settings(
        DATABASE_URL=f"sqlite:///{tmp_path}/opora.sqlite3",
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_BASE_URL=telegram.base_url,
        NLU_URL=nlu.url,
        NLU_AUTH_TOKEN=NLU_TOKEN,
        OPORA_PARALEGALS__GROUPS=f'{{"default": {WORKSPACE}}}',
        OPORA_PARALEGALS__REANNOUNCE_MINUTES="0.01",
    )
    async with serving(settings):
        person = LocalUser(telegram, 6161, "Аня", "ru")
        code = await report_in_russian(person, evidence=False)
        await asyncio.sleep(2.0)
        await settle(telegram)
        texts = [m.get("text") or "" for m in workspace_messages(telegram)]
        assert any(t.startswith("⏰") and code in t for t in texts)
        seen = len(workspace_messages(telegram))
        telegram.user_sends(OLENA, WORKSPACE, text="/cases")
        await settle(telegram)
        listing = [m.get("text") or "" for m in workspace_messages(telegram)[seen:]]
        assert any(t.startswith(code) for t in listing), listing
        seen = len(workspace_messages(telegram))
        telegram.user_sends(OLENA, WORKSPACE, text=f"/case {code}")
        await settle(telegram)
        assert any(STORY in (m.get("text") or "") for m in workspace_messages(telegram)[seen:])


async def test_erasing_my_data_unlinks_my_cases(
    person: LocalUser, telegram: LocalTelegram, settings: Settings, running_bot: Any
) -> None:
    code = await report_in_russian(person, evidence=False)
    subject = running_bot.bot_data.services.database.cipher.subject("telegram-user", person.user_id)
    assert subject in database_dump(settings)
    await person.say("/leave")
    await person.say("/forget")
    await tap(person, "forget:yes")
    await tap(person, "forget:keep")
    await settle(telegram)
    assert workspace_messages(telegram)[-1]["text"].startswith("🔒")
    dump = database_dump(settings)
    assert subject not in dump  # nothing ties this Telegram account to the case any more
    case = await store.by_code(running_bot.bot_data.services.database, code)
    assert case.client_chat is None and case.story == STORY  # the paralegal keeps the case
