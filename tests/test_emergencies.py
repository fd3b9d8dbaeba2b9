"""Emergencies first: overdose, a mental-health crisis and "detained right now", in several
languages and countries, end to end through the local Bot API server."""

from __future__ import annotations

from typing import Any

import pytest

from bot.cases import store
from bot.localapi.client import LocalUser, settle
from bot.localapi.world import LocalTelegram
from bot.settings import Settings
from tests.conftest import bot_settings
from tests.fake_nlu import FakeNlu
from tests.test_report import tap

WORKSPACE = -100888
ON_DUTY = 9101


@pytest.fixture
def settings(
    make_settings: Any, database_url: str, telegram: LocalTelegram, nlu: FakeNlu
) -> Settings:
    telegram.add_group(WORKSPACE, "Paralegals")
    telegram.add_user(ON_DUTY, "Zarina")
    return bot_settings(
        make_settings,
        database_url,
        telegram,
        nlu,
        OPORA_PARALEGALS__GROUPS=f'{{"default": {WORKSPACE}}}',
        OPORA_PARALEGALS__ON_DUTY=f'{{"default": [{ON_DUTY}]}}',
    )


async def onboard(person: LocalUser, lang: str, country: str) -> None:
    await person.say("/start")
    await tap(person, f"lang:{lang}")
    await tap(person, f"country:{country}")
    await tap(person, "privacy:ok")


def callbacks(person: LocalUser) -> list[str]:
    return [b.callback_data or "" for b in person.last_with_buttons().buttons]


# (language, country, what the person writes, the ambulance number for that country)
OVERDOSE = [
    ("en", "MD", "my friend is not breathing", "112"),
    ("ru", "KZ", "друг не дышит после дозы", "103"),
    ("uk", "UA", "подруга не дихає", "103"),
]


@pytest.mark.parametrize(("lang", "country", "text", "ambulance"), OVERDOSE)
async def test_overdose_starts_with_the_ambulance_and_offers_naloxone_nearby(
    person: LocalUser, nlu: FakeNlu, lang: str, country: str, text: str, ambulance: str
) -> None:
    await onboard(person, lang, country)
    # Even a hesitant NLU (naloxone first) gets the urgent answer.
    nlu.script.answers[text] = [("naloxone", 0.5), ("overdose_emergency", 0.35)]
    shown = await person.say(text)
    first_line = shown[0].text.split("\n")[0]
    assert first_line.startswith("🚑") and ambulance in first_line
    steps = shown[0].text
    assert all(f"{n}." in steps for n in range(1, 6))  # short numbered steps
    assert "2–3" in steps  # naloxone wears off: repeat after 2–3 minutes
    assert "find:naloxone" in callbacks(person)
    asked = await tap(person, "find:naloxone")
    assert any(b.request_location for s in asked for b in s.buttons) or person.reply_keyboard


CRISIS = [
    ("uk", "UA", "я не хочу жити", "7333 (Lifeline Ukraine)"),
    ("ru", "KZ", "не хочу больше жить", "150"),
    ("en", "RS", "i want to end my life", "0800 300 303"),
]


@pytest.mark.parametrize(("lang", "country", "text", "line"), CRISIS)
async def test_a_crisis_gets_warmth_a_crisis_line_and_a_person(
    person: LocalUser, nlu: FakeNlu, lang: str, country: str, text: str, line: str
) -> None:
    await onboard(person, lang, country)
    nlu.script.answers[text] = [("mental_health_crisis", 0.9)]
    shown = await person.say(text)
    answer = "\n".join(s.text for s in shown)
    assert answer.startswith("💛")
    assert "📞" in answer and line in answer
    assert "menu:human" in callbacks(person)


async def test_no_crisis_line_is_shown_where_none_is_verified(
    person: LocalUser, nlu: FakeNlu
) -> None:
    await onboard(person, "en", "ME")  # Montenegro's 1555 is not confirmed as running
    nlu.script.answers["i want to die"] = [("mental_health_crisis", 0.9)]
    shown = await person.say("i want to die")
    answer = "\n".join(s.text for s in shown)
    assert "1555" not in answer and "📞" not in answer
    assert "124" in answer  # the ambulance is still there


DETAINED = [
    ("ru", "KZ", "меня задержали, что делать", "Казахстан"),
    ("uk", "UA", "мене затримали прямо зараз", "Україна"),
    ("en", "MD", "i'm being detained right now", "Moldova"),
]


@pytest.mark.parametrize(("lang", "country", "text", "country_heading"), DETAINED)
async def test_detained_now_gets_a_rights_card_and_one_tap_alerts_the_paralegal_on_duty(
    person: LocalUser,
    telegram: LocalTelegram,
    nlu: FakeNlu,
    running_bot: Any,
    lang: str,
    country: str,
    text: str,
    country_heading: str,
) -> None:
    await onboard(person, lang, country)
    nlu.script.answers[text] = [("rights_police", 0.9)]
    shown = await person.say(text)
    card = "\n".join(s.text for s in shown)
    assert card.startswith("✋")  # what to do now, not a title
    assert country_heading in card  # the country's own part
    assert callbacks(person)[0] == "alert:now"

    await tap(person, "alert:now")
    await tap(person, "alert:now")  # a second, anxious tap makes no second case
    await settle(telegram)
    database = running_bot.bot_data.services.database
    cases = await store.open_cases(database)
    assert len(cases) == 1 and cases[0].urgent and cases[0].perpetrators == ["police"]
    code = cases[0].code
    assert code in person.last.text
    staff = [m.get("text") or "" for (chat, _), m in telegram.messages.items() if chat == WORKSPACE]
    assert any(t.startswith("🚨") and code in t for t in staff)
    duty = [m["text"] for m in telegram.bot_messages(ON_DUTY)]
    assert len(duty) == 1 and code in duty[0] and str(person.user_id) not in duty[0]
    # Whatever the person manages to write goes straight to the paralegal.
    await person.say("участок на Абая, двое")
    await settle(telegram)
    staff = [m.get("text") or "" for (chat, _), m in telegram.messages.items() if chat == WORKSPACE]
    assert staff[-1] == "участок на Абая, двое"


async def test_detained_now_is_recognised_even_with_the_nlu_down(
    person: LocalUser, nlu: FakeNlu
) -> None:
    await onboard(person, "ru", "KG")
    nlu.script.down = True
    shown = await person.say("Меня задержали у метро")
    assert shown[0].text.startswith("✋")
    assert "alert:now" in callbacks(person)


async def test_a_general_police_question_gets_the_full_answer_not_the_card(
    person: LocalUser, nlu: FakeNlu
) -> None:
    await onboard(person, "en", "KZ")
    text = "what are my rights if police search me"
    nlu.script.answers[text] = [("rights_police", 0.9)]
    shown = await person.say(text)
    assert not shown[0].text.startswith("✋")
    assert "Your rights with the police" in shown[0].text
