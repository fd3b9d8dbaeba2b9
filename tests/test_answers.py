"""Answers from content/ reach people through Telegram: language, country, buttons, hot reload."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.content.markup import plain_text
from bot.localapi.client import LocalUser, Shown
from bot.localapi.world import LocalTelegram
from bot.runner import serving
from bot.services import Services
from bot.settings import ROOT, Settings
from tests.conftest import BOT_TOKEN
from tests.fake_nlu import TOKEN as NLU_TOKEN
from tests.fake_nlu import FakeNlu
from tests.test_onboarding import onboard_in_russian


def _services(application: Any) -> Services:
    services: Services = application.bot_data.services
    return services


def _expected(application: Any, intent: str, lang: str, country: str | None) -> list[str]:
    services = _services(application)
    rendered = services.content.render(intent, services.catalogs.get(lang), country)
    return [plain_text(message) for message in rendered.messages]


def _labels(shown: Shown) -> list[str]:
    return [button.label for button in shown.buttons]


async def test_rights_answer_in_russian_has_the_kazakhstan_part_and_its_review_mark(
    person: LocalUser, nlu: FakeNlu, running_bot: Any
) -> None:
    nlu.script.answers["полиция хочет меня обыскать"] = [("rights_police", 0.92)]
    await onboard_in_russian(person)
    shown = await person.say("полиция хочет меня обыскать")
    assert [s.text for s in shown] == _expected(running_bot, "rights_police", "ru", "KZ")
    text = shown[-1].text
    assert "📍" in text and "⚖️" in text
    assert "полиц" in text.lower()  # Russian, not English
    labels = _labels(shown[-1])
    assert any("Главное меню" in label for label in labels)
    assert [b.callback_data for b in shown[-1].buttons][:2] == ["menu:report", "menu:human"]


async def test_overdose_starts_with_the_kazakh_ambulance_number_and_finds_naloxone(
    person: LocalUser, nlu: FakeNlu
) -> None:
    nlu.script.answers["мой друг не дышит"] = [("overdose_emergency", 0.95)]
    await onboard_in_russian(person)
    shown = await person.say("мой друг не дышит")
    assert shown[0].text.startswith("🚑")
    assert "103" in shown[0].text.split("\n")[0]
    naloxone = next(b for b in shown[-1].buttons if b.callback_data == "find:naloxone")
    asked = await person.press_button(shown[-1], naloxone)
    assert any(b.request_location for b in asked[-1].buttons), asked


async def test_pep_answer_links_to_testing_and_to_finding_pep(
    person: LocalUser, nlu: FakeNlu, running_bot: Any
) -> None:
    nlu.script.answers["порвался презерватив"] = [("pep", 0.9)]
    await onboard_in_russian(person)
    shown = await person.say("порвался презерватив")
    assert "72" in shown[0].text
    last = shown[-1]
    testing = next(b for b in last.buttons if b.callback_data == "topic:hiv_testing")
    opened = await person.press_button(last, testing)
    assert [s.text for s in opened] == _expected(running_bot, "hiv_testing", "ru", "KZ")
    find = next(b for b in last.buttons if b.callback_data == "find:pep")
    asked = await person.press_button(last, find)
    assert any(b.request_location for b in asked[-1].buttons)


async def test_greeting_shows_the_whole_menu(person: LocalUser, nlu: FakeNlu) -> None:
    nlu.script.answers["привет"] = [("greet", 0.97)]
    await onboard_in_russian(person)
    shown = await person.say("привет")
    assert len(shown[-1].buttons) == 8


async def test_a_stale_topic_button_gets_a_kind_answer(person: LocalUser) -> None:
    await onboard_in_russian(person)
    menu = await person.say("/menu")
    stale = await person.press_button(
        menu[0], type(menu[0].buttons[0])("old", callback_data="topic:no_such_topic")
    )
    assert "меню" in stale[-1].text.lower()


async def _onboard_in_english(person: LocalUser) -> None:
    await person.say("/start")
    await person.press("English")
    await person.press("Kazakhstan")
    await person.press("Understood")


@pytest.fixture
def editable_settings(
    make_settings: Any, tmp_path: Path, telegram: LocalTelegram, nlu: FakeNlu
) -> Settings:
    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    return make_settings(  # type: ignore[no-any-return]
        DATABASE_URL=f"sqlite:///{tmp_path}/opora.sqlite3",
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_BASE_URL=telegram.base_url,
        NLU_URL=nlu.url,
        NLU_AUTH_TOKEN=NLU_TOKEN,
        OPORA_CONTENT__CONTENT_DIR=str(tmp_path / "content"),
        OPORA_CONTENT__LOCALES_DIR=str(tmp_path / "locales"),
        OPORA_CONTENT__RELOAD_INTERVAL_SECONDS="0.1",
    )


async def _until(person: LocalUser, text: str, expected: str) -> list[Shown]:
    for _ in range(50):
        shown = await person.say(text)
        if expected in shown[0].text:
            return shown
        await asyncio.sleep(0.1)
    raise AssertionError(f"{expected!r} never appeared; last: {shown[0].text!r}")


async def test_edits_reach_the_running_bot_and_a_broken_file_keeps_the_last_good_content(
    editable_settings: Settings,
    telegram: LocalTelegram,
    nlu: FakeNlu,
    caplog: pytest.LogCaptureFixture,
) -> None:
    thanks = editable_settings.content.content_dir / "answers" / "thanks.md"
    nlu.script.answers["thank you"] = [("thanks", 0.97)]
    async with serving(editable_settings):
        person = LocalUser(telegram, 4242, "Sam", "en")
        await _onboard_in_english(person)
        shown = await person.say("thank you")
        assert "You are welcome" in shown[0].text

        thanks.write_text(
            thanks.read_text(encoding="utf-8").replace("You are welcome.", "Any time, friend."),
            encoding="utf-8",
        )
        await _until(person, "thank you", "Any time, friend.")

        caplog.set_level(logging.ERROR, logger="bot.content.library")
        thanks.write_text("---\nintents: [thanks\n---\nBroken.\n", encoding="utf-8")
        await asyncio.sleep(0.5)
        shown = await person.say("thank you")
        assert "Any time, friend." in shown[0].text  # the last good content stays live
        assert any("thanks.md" in r.getMessage() for r in caplog.records)
