"""Translations: gettext catalogs read from locales/, with per-language fallback chains.

The `.po` files are read directly (no compile step to forget). Entries marked fuzzy are
machine-drafted and awaiting review; they are still used, because an unreviewed sentence in
someone's own language serves them better than English. `make locales` keeps them marked.
"""

from __future__ import annotations

import gettext
import io
import logging
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

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


def _load_po(path: Path) -> gettext.NullTranslations:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=True)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Catalogs:
    """All languages' translators, built once at start-up."""

    def __init__(self, locales_dir: Path, languages: LanguageSettings, domain: str = DOMAIN):
        self.languages = languages
        loaded: dict[str, Path] = {}
        for lang in languages.supported:
            path = locales_dir / lang / "LC_MESSAGES" / f"{domain}.po"
            if path.exists():
                loaded[lang] = path
            elif lang != "en":
                log.warning(
                    "No %s catalog for %s; it falls back to %s",
                    domain,
                    lang,
                    languages.chain(lang)[1:],
                )
        self._translators: dict[str, Translator] = {}
        for lang in languages.supported:
            # Fresh objects per chain: add_fallback mutates, and chains may share languages.
            chain = [_load_po(loaded[code]) for code in languages.chain(lang) if code in loaded]
            head = chain[0] if chain else gettext.NullTranslations()
            for fallback in chain[1:]:
                head.add_fallback(fallback)
            self._translators[lang] = Translator(lang, head)

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
