"""Find services through Telegram: type, shared location or typed town, results, pins, paging."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.db import Profile
from bot.localapi.client import LocalUser, Shown
from bot.settings import Settings
from tests.conftest import database_dump
from tests.fake_nlu import FakeNlu
from tests.test_onboarding import onboard_in_russian

ALMATY = (43.238, 76.945)


def _data(shown: Shown) -> list[str]:
    return [b.callback_data or "" for b in shown.buttons]


async def _press_data(person: LocalUser, shown: Shown, data: str) -> list[Shown]:
    button = next(b for b in shown.buttons if b.callback_data == data)
    return await person.press_button(shown, button)


async def test_menu_type_location_results_pin_and_nothing_kept(
    person: LocalUser, running_bot: Any, settings: Settings
) -> None:
    await onboard_in_russian(person)
    asked = await person.press("Найти услуги")
    assert "findtype:hiv_testing" in _data(asked[-1]) and "findtype:all" in _data(asked[-1])
    await _press_data(person, asked[-1], "findtype:hiv_testing")
    assert any(b.request_location for b in person.reply_keyboard)

    shown = await person.share_location(*ALMATY)
    results = next(s for s in shown if "findpin:0" in _data(s))
    assert "Doverie Plus" in results.text and "km" in results.text
    assert "🧪" in results.text  # demo entries say "verify before going"
    venue = await _press_data(person, results, "findpin:0")
    assert venue[-1].raw["venue"]["title"] == "Doverie Plus"

    # The location itself is never stored, only the town if the person agrees.
    offer = next(s for s in shown if "findarea:keep" in _data(s))
    await _press_data(person, offer, "findarea:keep")
    dump = database_dump(settings)
    assert "43.238" not in dump and "76.945" not in dump
    services = running_bot.bot_data.services
    async with services.database.session() as session:
        area = (await session.scalars(select(Profile.area))).one()
    assert area["name"] == "Almaty" and area["latitude"] != ALMATY[0]

    # Next time the remembered town is offered as a button.
    await person.say("/menu")
    await person.press("Найти услуги")
    asked = await _press_data(person, person.last_with_buttons(), "findtype:all")
    remembered = next(s for s in asked if "findarea:use" in _data(s))
    shown = await _press_data(person, remembered, "findarea:use")
    assert any("Doverie Plus" in s.text for s in shown)


async def test_typed_town_in_cyrillic_and_paging(person: LocalUser) -> None:
    await onboard_in_russian(person)
    await person.press("Найти услуги")
    await _press_data(person, person.last_with_buttons(), "findtype:all")
    shown = await person.say("Белград")
    results = next(s for s in shown if "findpin:0" in _data(s))
    assert results.text.count(" km") == 5
    assert "findmore:next" in _data(results)
    more = await _press_data(person, results, "findmore:next")
    assert "\n6. " in more[-1].text


async def test_an_ambiguous_town_asks_which_one(person: LocalUser) -> None:
    await onboard_in_russian(person)
    await person.press("Найти услуги")
    await _press_data(person, person.last_with_buttons(), "findtype:all")
    shown = await person.say("Pervomaisk")
    choices = [d for d in _data(shown[-1]) if d.startswith("findcity:")]
    assert len(choices) >= 2
    results = await _press_data(person, shown[-1], choices[0])
    assert any("findpin:0" in _data(s) for s in results)


async def test_unknown_town_asks_again_and_cancel_returns_to_menu(person: LocalUser) -> None:
    await onboard_in_russian(person)
    await person.press("Найти услуги")
    await _press_data(person, person.last_with_buttons(), "findtype:legal_aid")
    shown = await person.say("Qwxzzy")
    assert "Qwxzzy" in shown[-1].text
    cancel = next(b for b in person.reply_keyboard if not b.request_location)
    shown = await person.press_button(shown[-1], cancel)
    assert len(shown[-1].buttons) == 8  # the main menu


async def test_nothing_near_offers_a_person(person: LocalUser) -> None:
    """No naloxone in the (demo) directory: widen, then say so and offer a person."""
    await onboard_in_russian(person)
    await person.say("/menu")
    person_answer = await person.press("ОЗТ и снижение вреда")
    await person.press("Налоксон", on=person_answer[-1])
    await _press_data(person, person.last_with_buttons(), "find:naloxone")
    shown = await person.share_location(*ALMATY)
    assert "menu:human" in _data(shown[-1])
    assert "1000" in shown[-1].text


async def test_find_service_intent_uses_the_type_and_the_city(
    person: LocalUser, nlu: FakeNlu
) -> None:
    nlu.script.answers["где тест на вич в бишкеке"] = [("find_service", 0.94)]
    nlu.script.entities["где тест на вич в бишкеке"] = [
        ("service_type", "hiv_testing"),
        ("city", "бишкеке"),
    ]
    await onboard_in_russian(person)
    shown = await person.say("где тест на вич в бишкеке")
    results = next(s for s in shown if "findpin:0" in _data(s))
    assert "Bishkek" in results.text or "Kyrgyz Indigo" in results.text
