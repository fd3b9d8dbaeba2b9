"""Every main-menu button gives a sensible reply in the person's language."""

from __future__ import annotations

import pytest

from bot.localapi.client import LocalUser
from tests.test_onboarding import onboard_in_russian


@pytest.mark.parametrize(
    ("button", "expected"),
    [
        ("Здоровье и ВИЧ", "Тестирование на ВИЧ"),
        ("ОЗТ и снижение вреда", "Передозировка"),
        ("Мои права", "Полиция"),
        ("Найти услуги", "Все услуги"),
        ("Сообщить о нарушении", "✅"),
        ("Поговорить с человеком", "✅"),
        ("Язык", "Русский"),
        ("Конфиденциальность и безопасность", "Что хранит Опора и как долго"),
    ],
)
async def test_main_menu_button(person: LocalUser, button: str, expected: str) -> None:
    await onboard_in_russian(person)
    shown = await person.press(button)
    assert shown, f"no reply to {button}"
    everything = " ".join([s.text for s in shown] + [b.label for s in shown for b in s.buttons])
    assert expected.lower() in everything.lower()


async def test_section_topic_and_back(person: LocalUser) -> None:
    await onboard_in_russian(person)
    await person.press("Здоровье и ВИЧ")
    shown = await person.press("PEP")
    assert "72" in shown[0].text
    assert [b.callback_data for b in shown[-1].buttons] == [
        "find:pep",
        "menu:human",
        "topic:hiv_testing",
        "safety:wipe",
        "menu:main",
    ]
    shown = await person.press("Назад", on=person.messages()[-2])
    assert "Что вы хотите сделать?" in shown[0].text


async def test_overdose_topic_says_call_an_ambulance_first(person: LocalUser) -> None:
    await onboard_in_russian(person)
    await person.press("ОЗТ и снижение вреда")
    shown = await person.press("Передозировка")
    assert shown[0].text.startswith("🚑")
    assert "103" in shown[0].text.split("\n")[0]  # Kazakhstan's ambulance, first


async def test_erase_my_data_removes_the_profile(person: LocalUser, settings) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import database_dump

    await onboard_in_russian(person)
    assert database_dump(settings)
    await person.say("/forget")
    shown = await person.press("Да, удалить всё")
    assert "Готово" in shown[0].text
    assert "'ru', 'KZ'" not in database_dump(settings)
    shown = await person.say("/start")
    assert "✅ Русский" in [b.label for b in shown[0].buttons]


async def test_pressing_the_same_section_twice_keeps_one_message(person: LocalUser) -> None:
    await onboard_in_russian(person)
    menu = person.last
    await person.press("Мои права", on=menu)
    before = len(person.messages())
    await person.press("Полиция", on=person.last)
    await person.press("Мои права", on=menu)  # an old button: the section is already shown
    assert len(person.messages()) == before + 1  # only the topic answer was added
