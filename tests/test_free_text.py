"""Free text goes through the NLU service; low confidence asks, a dead service degrades kindly."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.content.markup import plain_text
from bot.localapi.client import LocalUser
from tests.fake_nlu import FakeNlu
from tests.test_onboarding import onboard_in_russian


async def test_question_gets_the_topic_answer_in_russian(
    person: LocalUser, nlu: FakeNlu, running_bot: Any
) -> None:
    nlu.script.answers["где сдать тест на вич"] = [("hiv_testing", 0.93), ("find_service", 0.04)]
    await onboard_in_russian(person)
    shown = await person.say("где сдать тест на ВИЧ")
    services = running_bot.bot_data.services
    rendered = services.content.render("hiv_testing", services.catalogs.get("ru"), "KZ")
    assert [s.text for s in shown] == [plain_text(m) for m in rendered.messages]
    assert "ВИЧ" in shown[0].text
    assert "find:hiv_testing" in [b.callback_data for b in shown[-1].buttons]
    assert nlu.script.requests[-1]["metadata"] == {"language": "ru"}


async def test_low_confidence_asks_did_you_mean(person: LocalUser, nlu: FakeNlu) -> None:
    nlu.script.answers["таблетки"] = [("prep", 0.41), ("pep", 0.32), ("hiv_treatment", 0.2)]
    await onboard_in_russian(person)
    shown = await person.say("таблетки")
    labels = [b.label for b in shown[0].buttons]
    assert labels[:3] == ["PrEP: до риска", "PEP: после риска", "Лечение ВИЧ"] or len(labels) == 5
    assert any("Поговорить с человеком" in label for label in labels)
    shown = await person.press(labels[1])
    assert "PEP" in shown[0].text


async def test_urgent_intent_is_answered_even_at_low_confidence(
    person: LocalUser, nlu: FakeNlu
) -> None:
    nlu.script.answers["он не дышит"] = [("naloxone", 0.4), ("overdose_emergency", 0.35)]
    await onboard_in_russian(person)
    shown = await person.say("он не дышит")
    assert shown[0].text.startswith("🚑")


async def test_greeting_and_out_of_scope(person: LocalUser, nlu: FakeNlu) -> None:
    nlu.script.answers["привет"] = [("greet", 0.97)]
    await onboard_in_russian(person)
    shown = await person.say("привет")
    assert len(shown[0].buttons) == 8
    shown = await person.say("какая завтра погода")
    assert "меню" in shown[0].text.lower()


async def test_dead_nlu_service_keeps_the_menu_working_and_recovers(
    person: LocalUser, nlu: FakeNlu
) -> None:
    await onboard_in_russian(person)
    nlu.script.down = True
    shown = await person.say("где сдать тест")
    assert "сейчас" in shown[0].text.lower()
    assert len(shown[0].buttons) == 8
    shown = await person.press("Здоровье и ВИЧ")
    assert "Тестирование на ВИЧ" in [b.label for b in shown[0].buttons]
    nlu.script.down = False
    nlu.script.answers["где сдать тест"] = [("hiv_testing", 0.9)]
    shown = await person.say("где сдать тест")
    assert "ВИЧ" in shown[0].text and "find:hiv_testing" in str(shown[-1].raw)


async def test_nothing_personal_reaches_the_logs(
    person: LocalUser, nlu: FakeNlu, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    nlu.script.down = True
    await onboard_in_russian(person)
    await person.say("меня зовут Аня я живу на улице Абая 5")
    await person.share_location(43.2567, 76.9286)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in ("Аня", "Абая", str(person.user_id), "43.2567", "76.9286"):
        assert secret not in logged


@pytest.mark.parametrize(
    ("text", "expected_start"),
    [("мой друг не дышит", "🚑"), ("Дем алмай жатыр досым", "🚑"), ("не хочу жить", "💛")],
)
async def test_keywords_answer_urgent_messages_while_the_nlu_is_down(
    person: LocalUser, nlu: FakeNlu, text: str, expected_start: str
) -> None:
    await onboard_in_russian(person)
    nlu.script.down = True
    shown = await person.say(text)
    assert shown[0].text.startswith(expected_start)
