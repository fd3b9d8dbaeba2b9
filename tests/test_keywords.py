"""The keyword fallback finds urgent messages in every language while the NLU is down."""

from __future__ import annotations

import pytest

from bot.keywords import KeywordFallback
from bot.settings import ROOT

KEYWORDS = KeywordFallback.from_file(ROOT / "nlu" / "keywords.yml")


@pytest.mark.parametrize(
    ("lang", "text", "intent"),
    [
        ("en", "my friend is NOT BREATHING after a shot", "overdose_emergency"),
        ("ru", "он не дышит после дозы", "overdose_emergency"),
        ("ru", "drug ne dyshit", "overdose_emergency"),
        ("uk", "вона не дихає", "overdose_emergency"),
        ("kk", "досым дем алмай жатыр", "overdose_emergency"),
        ("ky", "досум дем албай жатат", "overdose_emergency"),
        ("tg", "рафикам нафас намегирад", "overdose_emergency"),
        ("sr", "drug ne diše posle fiksa", "overdose_emergency"),
        ("sr", "не дише", "overdose_emergency"),
        ("ro", "prietenul nu respira", "overdose_emergency"),
        ("en", "i want to kill myself", "mental_health_crisis"),
        ("ru", "не хочу жить больше", "mental_health_crisis"),
        ("uk", "не хочу жити", "mental_health_crisis"),
        ("kk", "өмір сүргім келмейді", "mental_health_crisis"),
        ("ky", "жашагым келбейт", "mental_health_crisis"),
        ("tg", "дар бораи худкушӣ фикр мекунам", "mental_health_crisis"),
        ("sr", "razmišljam o samoubistvu", "mental_health_crisis"),
        ("ro", "nu mai vreau sa traiesc", "mental_health_crisis"),
        # A Kazakh profile writing Russian is still understood.
        ("kk", "он не дышит", "overdose_emergency"),
    ],
)
def test_urgent_keywords(lang: str, text: str, intent: str) -> None:
    assert KEYWORDS.match(text, lang) == intent


@pytest.mark.parametrize(
    ("lang", "text"),
    [("en", "where can i get tested"), ("ru", "где взять налоксон"), ("kk", "сәлеметсіз бе")],
)
def test_ordinary_messages_are_not_urgent(lang: str, text: str) -> None:
    assert KEYWORDS.match(text, lang) is None
