"""Safety on a phone that may be taken: wipe, disappearing messages, floods, groups, edits and
Telegram's own failures, end to end through the local Bot API server."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from bot.localapi.client import LocalUser, settle
from bot.localapi.world import LocalTelegram
from bot.runner import serving
from tests.conftest import bot_settings
from tests.fake_nlu import FakeNlu


async def onboard_in_english(person: LocalUser, country: str = "Kazakhstan") -> None:
    await person.say("/start")
    await person.press("English")
    await person.press(country)
    await person.press("Understood")


def deleted_by_calls(telegram: LocalTelegram, chat_id: int) -> set[int]:
    """Message ids the bot asked Telegram to delete in a chat."""
    ids: set[int] = set()
    for call in telegram.calls:
        if call.method == "deleteMessages" and int(call.params["chat_id"]) == chat_id:
            ids.update(int(i) for i in call.params["message_ids"])
        elif call.method == "deleteMessage" and int(call.params["chat_id"]) == chat_id:
            ids.add(int(call.params["message_id"]))
    return ids


def chat_ids(telegram: LocalTelegram, chat_id: int) -> set[int]:
    return {message_id for (chat, message_id) in telegram.messages if chat == chat_id}


async def test_wipe_deletes_both_sides_of_the_chat(
    person: LocalUser, telegram: LocalTelegram, nlu: FakeNlu
) -> None:
    await onboard_in_english(person)
    nlu.script.answers["where can i get tested for hiv"] = [("hiv_testing", 0.95)]
    await person.say("where can i get tested for hiv")
    answer = person.last
    assert "🧹 Clear this chat" in [b.label for b in answer.buttons]
    before = chat_ids(telegram, person.chat_id)
    mine = {
        m
        for (c, m), msg in telegram.messages.items()
        if c == person.chat_id and not msg["from"].get("is_bot")
    }
    assert len(mine) >= 2  # /start and the question

    shown = await person.say("/wipe")

    deleted = deleted_by_calls(telegram, person.chat_id)
    assert before <= deleted  # every message before the wipe, the person's and the bot's
    note = shown[-1].text
    assert f"{len(before) + 1} messages from the last 48 hours were deleted" in note  # + /wipe
    assert "Telegram does not let bots delete older messages" in note
    assert [m.text for m in person.messages()] == [note]


async def test_the_wipe_note_itself_disappears(
    make_settings: Any,
    telegram: LocalTelegram,
    nlu: FakeNlu,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("bot.safety.WIPE_NOTE_SECONDS", 1)
    settings = bot_settings(
        make_settings, database_url, telegram, nlu, OPORA_SAFETY__SWEEP_INTERVAL_SECONDS="0.3"
    )
    person = LocalUser(telegram, 5101, "Ana", "en")
    async with serving(settings):
        await person.say("/wipe")
        note = person.last
        await _wait_until(lambda: note.message_id in deleted_by_calls(telegram, person.chat_id))


async def test_sensitive_answers_offer_a_wipe_but_small_talk_does_not(
    person: LocalUser, nlu: FakeNlu
) -> None:
    await onboard_in_english(person)
    nlu.script.answers["hello"] = [("greet", 0.97)]
    await person.say("hello")
    assert not any("Clear this chat" in b.label for b in person.last.buttons)
    await person.press("My rights")
    await person.press("Police")
    assert any("Clear this chat" in b.label for b in person.last.buttons)


async def _wait_until(condition: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_disappearing_messages_are_deleted_even_across_a_restart(
    make_settings: Any, telegram: LocalTelegram, nlu: FakeNlu, database_url: str
) -> None:
    settings = bot_settings(
        make_settings,
        database_url,
        telegram,
        nlu,
        OPORA_SAFETY__DISAPPEAR_CHOICES_SECONDS="[3, 600]",
        OPORA_SAFETY__SWEEP_INTERVAL_SECONDS="0.3",
    )
    person = LocalUser(telegram, 5102, "Ana", "en")
    async with serving(settings):
        await onboard_in_english(person)
        await person.say("/privacy")
        await person.press("Disappearing messages: off")
        shown = await person.press("3 seconds")
        assert "Disappearing messages are on" in shown[0].text
        assert "⏱ Disappearing messages: 3 seconds" in [b.label for b in shown[0].buttons]
        nlu.script.answers["what is prep"] = [("prep", 0.95)]
        await person.say("what is prep")
        in_chat = chat_ids(telegram, person.chat_id)
    # The bot is down before the 3 seconds are over; nothing was deleted yet.
    assert not in_chat & deleted_by_calls(telegram, person.chat_id) - set()
    await asyncio.sleep(3.5)
    async with serving(settings):
        await _wait_until(lambda: in_chat <= deleted_by_calls(telegram, person.chat_id))
        # New messages keep disappearing with the stored setting.
        await person.say("what is prep")
        fresh = chat_ids(telegram, person.chat_id) - in_chat
        assert fresh
        await _wait_until(lambda: fresh <= deleted_by_calls(telegram, person.chat_id))
        await person.say("/privacy")
        await person.press("Disappearing messages: 3 seconds")
        shown = await person.press("Off")
        assert "Disappearing messages are off" in shown[0].text


async def test_a_tampered_disappearing_choice_is_refused(
    person: LocalUser, telegram: LocalTelegram
) -> None:
    await onboard_in_english(person)
    await person.say("/privacy")
    telegram.user_presses(person.user_id, person.last.raw, "safety:dis:5")  # not offered
    await settle(telegram)
    assert person.answered_callbacks()[-1]["text"] == "This button is out of date."
    assert any(b.callback_data == "safety:dis:60" for b in person.last.buttons)


async def test_someone_who_floods_is_told_once_and_the_nlu_is_spared(
    make_settings: Any, telegram: LocalTelegram, nlu: FakeNlu, database_url: str
) -> None:
    settings = bot_settings(
        make_settings,
        database_url,
        telegram,
        nlu,
        OPORA_SAFETY__BURST="3",
        OPORA_SAFETY__PER_MINUTE="12",
    )
    person = LocalUser(telegram, 5103, "Ana", "en")
    async with serving(settings):
        for n in range(8):
            telegram.user_sends(person.user_id, text=f"question {n}")
        await settle(telegram)
        texts = [m.text for m in person.messages()]
        warnings = [t for t in texts if "faster than I can read" in t]
        assert len(warnings) == 1
        assert len(nlu.script.requests) == 3  # the burst; nothing after
        await asyncio.sleep(5.2)  # one message's worth of patience (12 a minute)
        await person.say("question again")
        assert len(nlu.script.requests) == 4


async def test_in_a_group_the_bot_says_where_to_find_it_and_leaves(
    person: LocalUser, telegram: LocalTelegram, running_bot: Any, nlu: FakeNlu
) -> None:
    telegram.add_group(-100555, "Friends", forum=False)
    telegram.bot_added_to(person.user_id, -100555)
    await settle(telegram)
    said = [m["text"] for m in telegram.bot_messages(-100555)]
    assert said and "только в личных чатах" in said[0]  # in the Telegram language of who added it
    assert telegram.chats[-100555].get("left")
    update = telegram.user_sends(person.user_id, -100555, text="what is hiv")
    await settle(telegram)
    assert len(telegram.bot_messages(-100555)) == 1
    assert nlu.script.requests == []
    ledger = running_bot.bot_data.services.ledger
    assert ledger.recent[update["update_id"]] == "ignored:group"


async def test_an_edited_message_gets_an_explanation(
    person: LocalUser, telegram: LocalTelegram
) -> None:
    await onboard_in_english(person)
    update = telegram.user_sends(person.user_id, text="hello")
    await settle(telegram)
    telegram.user_edits(person.user_id, update["message"], "hello, edited")
    await settle(telegram)
    assert "Я не вижу изменений" in person.last.text


async def test_telegram_flood_limits_and_server_errors_are_retried(
    person: LocalUser, telegram: LocalTelegram, running_bot: Any, nlu: FakeNlu
) -> None:
    await onboard_in_english(person)
    nlu.script.answers["what is pep"] = [("pep", 0.95)]
    telegram.inject("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    started = time.monotonic()
    shown = await person.say("what is pep")
    assert any("PEP" in s.text for s in shown)
    assert time.monotonic() - started >= 1  # it waited as Telegram asked
    telegram.inject("sendMessage", 502, "Bad Gateway", times=2)
    shown = await person.say("what is pep")
    assert any("PEP" in s.text for s in shown)
    limiter = running_bot.bot.rate_limiter
    assert limiter.retries["network"] >= 2


async def test_a_time_out_is_retried(
    person: LocalUser, telegram: LocalTelegram, nlu: FakeNlu
) -> None:
    await onboard_in_english(person)
    nlu.script.answers["what is pep"] = [("pep", 0.95)]
    # Longer than python-telegram-bot waits for an answer (5 s): the client gives up, retries.
    telegram.inject("sendMessage", 504, "Gateway Timeout", delay=5.5)
    shown = await person.say("what is pep", timeout=20)
    assert any("PEP" in s.text for s in shown)
