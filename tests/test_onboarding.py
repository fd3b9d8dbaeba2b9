"""First contact through the local Bot API server: /start, language, country, privacy, menu."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.localapi.client import LocalUser
from bot.localapi.world import LocalTelegram
from bot.settings import Settings
from tests.conftest import database_dump

MAIN_MENU_RU = [
    "Здоровье и ВИЧ",
    "ОЗТ и снижение вреда",
    "Мои права",
    "Найти услуги",
    "Сообщить о нарушении",
    "Поговорить с человеком",
    "Язык",
    "Конфиденциальность и безопасность",
]


async def onboard_in_russian(person: LocalUser) -> None:
    await person.say("/start")
    await person.press("Русский")
    await person.press("Казахстан")
    await person.press("Понятно")


async def test_start_offers_languages_with_telegram_language_ticked(person: LocalUser) -> None:
    shown = await person.say("/start")
    assert len(shown) == 1
    labels = [button.label for button in shown[0].buttons]
    assert "✅ Русский" in labels
    assert {"English", "Українська", "Қазақ тілі", "Кыргызча", "Тоҷикӣ", "Srpski", "Română"} <= set(
        labels
    )


async def test_onboarding_in_russian_ends_in_the_main_menu(person: LocalUser) -> None:
    await person.say("/start")
    shown = await person.press("Русский")
    assert "В какой стране вы находитесь?" in shown[0].text
    assert "Кыргызстан" in [b.label for b in shown[0].buttons] or "Киргизия" in [
        b.label for b in shown[0].buttons
    ]
    shown = await person.press("Казахстан")
    assert "Ваша конфиденциальность" in shown[0].text
    assert "/forget" in shown[0].text
    shown = await person.press("Понятно")
    labels = [button.label for button in shown[0].buttons]
    assert [label.split(" ", 1)[1] for label in labels] == MAIN_MENU_RU


async def test_choices_are_stored_under_a_pseudonym(person: LocalUser, settings: Settings) -> None:
    await onboard_in_russian(person)
    dump = database_dump(settings)
    assert re.search(r"'ru', 'KZ', (True|1)", dump)
    assert str(person.user_id) not in dump
    assert "Аня" not in dump


async def test_second_start_goes_straight_to_the_menu(person: LocalUser) -> None:
    await onboard_in_russian(person)
    shown = await person.say("/start")
    assert "С возвращением" in shown[0].text
    assert len(shown[0].buttons) == len(MAIN_MENU_RU)


async def test_another_country_is_accepted(person: LocalUser, settings: Settings) -> None:
    await person.say("/start")
    await person.press("Русский")
    shown = await person.press("Другая страна")
    assert "Ваша конфиденциальность" in shown[0].text
    assert re.search(r"'ru', 'ZZ', (False|0)", database_dump(settings))


async def test_language_can_be_changed_later(person: LocalUser) -> None:
    await onboard_in_russian(person)
    await person.say("/language")
    shown = await person.press("English")
    assert "What would you like to do?" in shown[0].text
    shown = await person.say("/menu")
    assert "Health & HIV" in shown[0].buttons[0].label


@pytest.mark.parametrize(
    ("telegram_language", "expected"),
    [("uk", "✅ Українська"), ("kk", "✅ Қазақ тілі"), ("de", "✅ English"), (None, "✅ English")],
)
async def test_telegram_language_preselects(
    running_bot: Any, telegram: LocalTelegram, telegram_language: str | None, expected: str
) -> None:
    person = LocalUser(telegram, 555, "X", telegram_language)
    shown = await person.say("/start")
    assert expected in [button.label for button in shown[0].buttons]


async def test_commands_are_published_in_every_language(
    running_bot: Any, telegram: LocalTelegram
) -> None:
    assert [c["command"] for c in telegram.commands[""]] == [
        "menu",
        "language",
        "privacy",
        "report",
        "case",
        "wipe",
        "forget",
        "help",
    ]
    assert telegram.commands["ru"][0]["description"] == "Главное меню"
    assert set(telegram.commands) == {"", "ru", "uk", "kk", "ky", "tg", "sr", "ro"}
