"""Stickers, stale buttons, unknown commands, huge text and a dead database get kind replies."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
import pytest

from bot.localapi.client import LocalUser
from bot.localapi.world import LocalTelegram
from bot.runner import serving
from bot.settings import Settings
from tests.conftest import PG_ADMIN
from tests.test_onboarding import onboard_in_russian


async def test_sticker_gets_a_kind_reply(person: LocalUser) -> None:
    await onboard_in_russian(person)
    sticker = {
        "file_id": "s",
        "file_unique_id": "s",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
    shown = await person.send(sticker=sticker)
    assert "только текстовые" in shown[0].text.lower() or "текст" in shown[0].text.lower()


async def test_stale_button_is_answered_and_menu_shown(
    person: LocalUser, telegram: LocalTelegram
) -> None:
    await onboard_in_russian(person)
    telegram.user_presses(person.user_id, person.last.raw, "report:step3:old")
    shown = await person._settle(5)
    assert len(shown[-1].buttons) == 8
    assert person.answered_callbacks()[-1]["text"]


async def test_unknown_command(person: LocalUser) -> None:
    await onboard_in_russian(person)
    shown = await person.say("/teleport")
    assert len(shown[0].buttons) == 8


async def test_huge_text_is_cut_before_the_nlu(person: LocalUser, nlu: Any) -> None:
    await onboard_in_russian(person)
    shown = await person.say("а" * 4000)
    assert shown
    assert len(nlu.script.requests[-1]["text"]) == 1000


@pytest.mark.postgres
async def test_database_dying_mid_conversation_gets_a_kind_reply(
    make_settings: Any,
    postgres_url: str,
    telegram: LocalTelegram,
    nlu: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings: Settings = make_settings(
        DATABASE_URL=postgres_url,
        TELEGRAM_BOT_TOKEN="123456:test-token",
        TELEGRAM_BASE_URL=telegram.base_url,
        NLU_URL=nlu.url,
    )
    person = LocalUser(telegram, 9001, "Dina", "ru")
    async with serving(settings):
        await onboard_in_russian(person)
        name = postgres_url.rsplit("/", 1)[1]
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        shown = await person.say("/menu")
        assert "попробуйте" in shown[0].text.lower()
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    assert "DatabaseUnavailable" in logged
    assert "9001" not in logged


async def test_emoji_only_text_gets_asked_for_words_without_the_nlu(
    person: LocalUser, nlu: Any
) -> None:
    await onboard_in_russian(person)
    shown = await person.say("🙏😭\u200b💊")
    assert "не нашлось ни одного слова" in shown[0].text
    assert nlu.script.requests == []


async def test_invisible_and_direction_marks_are_removed_before_the_nlu(
    person: LocalUser, nlu: Any
) -> None:
    await onboard_in_russian(person)
    nlu.script.answers["что такое пэп"] = [("pep", 0.95)]
    shown = await person.say("\u202bчто\u200b такое\u200f   пэп\ufeff")
    assert nlu.script.requests[-1]["text"] == "что такое пэп"
    assert "72" in shown[0].text  # the PEP answer


@pytest.mark.parametrize(
    "content",
    [
        {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}},
        {"contact": {"phone_number": "+70000000000", "first_name": "X"}},
        {"dice": {"emoji": "🎲", "value": 3}},
        {
            "animation": {
                "file_id": "g",
                "file_unique_id": "g",
                "width": 1,
                "height": 1,
                "duration": 1,
            }
        },
    ],
    ids=["voice", "contact", "dice", "gif"],
)
async def test_other_message_kinds_get_a_kind_reply_in_the_persons_language(
    person: LocalUser, content: dict[str, Any]
) -> None:
    await onboard_in_russian(person)
    shown = await person.send(**content)
    assert "текст" in shown[0].text.lower()
    assert len(shown[0].buttons) == 8  # and the menu


async def test_a_forwarded_question_is_read_like_any_other(person: LocalUser, nlu: Any) -> None:
    await onboard_in_russian(person)
    nlu.script.answers["что такое пэп"] = [("pep", 0.95)]
    origin = {"type": "hidden_user", "sender_user_name": "Друг", "date": 0}
    shown = await person.send(text="что такое пэп", forward_origin=origin)
    assert "72" in shown[0].text
