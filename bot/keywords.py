"""The keyword fallback for urgent intents, used while the NLU service is unavailable."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import yaml

__all__ = ["KeywordFallback", "fold"]

# Phone keyboards type curly apostrophes and cedillas where lists have straight ones and commas.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'", "`": "'"})


def fold(text: str) -> str:
    """Lower case, straight apostrophes, no accents: "M-au reţinut" matches "m-au retinut"."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_APOSTROPHES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class KeywordFallback:
    """Finds an urgent intent by keyword; every language's list is tried, the person's first."""

    def __init__(self, table: dict[str, dict[str, list[str]]]) -> None:
        self._table = {
            intent: {lang: [fold(word) for word in words] for lang, words in by_lang.items()}
            for intent, by_lang in table.items()
        }

    @classmethod
    def from_file(cls, path: Path) -> KeywordFallback:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(loaded)

    def matches(self, intent: str, text: str, language: str) -> bool:
        """Whether one intent's keywords occur in `text` (any language, the person's first)."""
        folded = f" {fold(text)} "
        return any(
            word in folded for words in self._table.get(intent, {}).values() for word in words
        )

    def match(self, text: str, language: str) -> str | None:
        """The first urgent intent whose keyword occurs in `text`, or None."""
        lowered = f" {fold(text)} "
        for intent, by_lang in self._table.items():
            # People mix languages: the person's own list first, then all the others.
            languages = [language, *(lang for lang in by_lang if lang != language)]
            for lang in languages:
                if any(word in lowered for word in by_lang.get(lang, ())):
                    return intent
        return None
