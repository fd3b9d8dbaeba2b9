"""Translations: gettext catalogs read from locales/, with per-language fallback chains.

The `.po` files are read directly (no compile step to forget). A fuzzy entry without a previous
source (`#| msgid`) is a machine draft awaiting review: it is used, because an unreviewed sentence
in someone's own language serves them better than English. A fuzzy entry with a previous source
is stale (the English changed after it was translated; `make locales` marks it): it is skipped,
so the fallback chain answers instead.
"""

from __future__ import annotations

import gettext
import io
import logging
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from bot.content.model import Problem
from bot.content.translations import checked_catalog
from bot.settings import LanguageSettings

__all__ = ["N_", "Catalogs", "Translator", "country_name", "language_name", "negotiate"]

log = logging.getLogger(__name__)
DOMAIN = "bot"

# Babel locale used for names shown in each language (Serbian is written in Latin script here).
BABEL_LOCALE = {"sr": "sr_Latn"}


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where the locale is known."""
    return message


class Translator:
    """gettext for one language, already chained to its fallbacks."""

    def __init__(self, lang: str, translations: gettext.NullTranslations) -> None:
        self.lang = lang
        self._translations = translations

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)


def _compile(catalog: Catalog) -> bytes:
    """A catalog compiled to .mo bytes, without its stale entries."""
    for message in list(catalog):
        stale = message.fuzzy and message.previous_id
        # An untranslated plural is ("", "", ""): truthy, but it would show an empty message.
        empty_plural = isinstance(message.string, tuple) and not all(message.string)
        if message.id and (stale or empty_plural):
            catalog.delete(message.id, context=message.context)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=True)
    return buffer.getvalue()


class Catalogs:
    """All languages' translators, built once at start-up (and again on a content reload)."""

    def __init__(self, translators: dict[str, Translator], languages: LanguageSettings) -> None:
        self.languages = languages
        self._translators = translators

    @classmethod
    def load(
        cls, locales_dir: Path, languages: LanguageSettings, domain: str = DOMAIN
    ) -> tuple[Catalogs, list[Problem]]:
        """Every language's catalog; one that cannot be read is reported and falls back."""
        problems: list[Problem] = []
        compiled: dict[str, bytes] = {}
        for lang in languages.supported:
            path = locales_dir / lang / "LC_MESSAGES" / f"{domain}.po"
            if not path.exists():
                if lang != languages.default:
                    problems.append(Problem("warning", path, 1, f"no {domain} catalog for {lang}"))
                continue
            catalog, problem = checked_catalog(path)
            if catalog is None:
                problems.extend([problem] if problem else [])
                continue
            compiled[lang] = _compile(catalog)
        translators: dict[str, Translator] = {}
        for lang in languages.supported:
            # Fresh objects per chain: add_fallback mutates, and chains may share languages.
            chain = [
                gettext.GNUTranslations(io.BytesIO(compiled[code]))
                for code in languages.chain(lang)
                if code in compiled
            ]
            head = chain[0] if chain else gettext.NullTranslations()
            for fallback in chain[1:]:
                head.add_fallback(fallback)
            translators[lang] = Translator(lang, head)
        return cls(translators, languages), problems

    def get(self, lang: str) -> Translator:
        return self._translators.get(lang) or self._translators[self.languages.default]


def negotiate(stored: str | None, telegram_code: str | None, languages: LanguageSettings) -> str:
    """The person's language: their stored choice, else Telegram's language_code, else default."""
    if stored in languages.supported:
        return stored
    if telegram_code:
        base = telegram_code.replace("_", "-").split("-")[0].lower()
        if base in languages.supported:
            return base
    return languages.default


def _babel_locale(lang: str) -> Locale:
    return Locale.parse(BABEL_LOCALE.get(lang, lang))


def language_name(lang: str) -> str:
    """The language's own name for itself, e.g. 'Русский', 'Қазақ тілі'."""
    name = str(_babel_locale(lang).languages.get(lang, lang))
    return name[:1].upper() + name[1:]


def country_name(code: str, lang: str) -> str:
    """A country's name in the given language, from CLDR."""
    return str(_babel_locale(lang).territories.get(code, code))
