"""The keyword fallback for urgent intents, used while the NLU service is unavailable."""

from __future__ import annotations

from pathlib import Path

import yaml

__all__ = ["KeywordFallback"]


class KeywordFallback:
    """Finds an urgent intent by keyword; every language's list is tried, the person's first."""

    def __init__(self, table: dict[str, dict[str, list[str]]]) -> None:
        self._table = {
            intent: {lang: [word.lower() for word in words] for lang, words in by_lang.items()}
            for intent, by_lang in table.items()
        }

    @classmethod
    def from_file(cls, path: Path) -> KeywordFallback:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(loaded)

    def match(self, text: str, language: str) -> str | None:
        """The first urgent intent whose keyword occurs in `text`, or None."""
        lowered = f" {text.lower()} "
        for intent, by_lang in self._table.items():
            # People mix languages: the person's own list first, then all the others.
            languages = [language, *(lang for lang in by_lang if lang != language)]
            for lang in languages:
                if any(word in lowered for word in by_lang.get(lang, ())):
                    return intent
        return None
