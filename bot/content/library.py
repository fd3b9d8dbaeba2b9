"""The content a running bot serves, and its hot reload: the last good version stays live."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.loader import load_content
from bot.content.model import Content, Problem
from bot.content.render import Rendered, render_answer
from bot.content.translations import ContentTranslations
from bot.i18n import Catalogs, Translator
from bot.settings import LanguageSettings

__all__ = ["ContentLibrary", "Loaded", "load_everything", "nlu_intents"]

log = logging.getLogger(__name__)
# Intents the bot decides on itself rather than the NLU: "detained_now" is rights_police with
# words that say it is happening right now (nlu/keywords.yml), answered by a short card.
DERIVED_INTENTS = frozenset({"detained_now"})
_INTENT_LINE = re.compile(r"^\s*-\s*intent:\s*([A-Za-z0-9_]+)\s*$", re.MULTILINE)


def nlu_intents(nlu_data_dir: Path) -> set[str]:
    """The intents answers are keyed by: those the NLU is trained on, plus the ones the bot
    derives itself (DERIVED_INTENTS)."""
    names: set[str] = set(DERIVED_INTENTS)
    for path in nlu_data_dir.rglob("*.yml"):
        names.update(_INTENT_LINE.findall(path.read_text(encoding="utf-8")))
    return names


@dataclass
class Loaded:
    """One consistent version of content, its translations and the UI catalogs."""

    content: Content
    translations: ContentTranslations
    catalogs: Catalogs
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def load_everything(
    content_dir: Path,
    locales_dir: Path,
    languages: LanguageSettings,
    intents: set[str],
    countries: tuple[str, ...],
) -> Loaded:
    content, problems = load_content(content_dir, intents, set(countries))
    translations, found = ContentTranslations.load(locales_dir, languages.supported, content)
    problems.extend(found)
    catalogs, found = Catalogs.load(locales_dir, languages)
    problems.extend(found)
    return Loaded(content, translations, catalogs, problems)


class ContentLibrary:
    """Holds the live content; `reload()` swaps in a new version only if it has no errors."""

    def __init__(
        self,
        root: Path,
        languages: LanguageSettings,
        countries: tuple[str, ...],
        content_dir: Path | None = None,
        locales_dir: Path | None = None,
    ) -> None:
        self.languages = languages
        self.countries = countries
        self.content_dir = content_dir or root / "content"
        self.locales_dir = locales_dir or root / "locales"
        self.intents = nlu_intents(root / "nlu" / "data")
        self._signature = self.signature()
        self.live = self._load()
        for problem in self.live.errors:
            log.error("Content left out: %s", problem)

    def _load(self) -> Loaded:
        return load_everything(
            self.content_dir, self.locales_dir, self.languages, self.intents, self.countries
        )

    @property
    def catalogs(self) -> Catalogs:
        return self.live.catalogs

    @property
    def content(self) -> Content:
        return self.live.content

    def signature(self) -> tuple[tuple[str, int, int], ...]:
        """What changed on disk: every content and locale file's path, mtime and size."""
        files = [*self.content_dir.rglob("*"), *self.locales_dir.rglob("*.po")]
        return tuple(
            sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files if p.is_file())
        )

    def reload(self) -> list[Problem]:
        """Read everything again; keep serving the last good version if anything is broken."""
        self._signature = self.signature()
        loaded = self._load()
        if loaded.errors:
            for problem in loaded.errors:
                log.error("Content not reloaded: %s", problem)
            return loaded.errors
        self.live = loaded
        log.info("Content reloaded: %d answers", len(loaded.content.answers))
        return []

    async def watch(self, interval: float) -> None:
        """Reload whenever a file under content/ or locales/ changes (runs until cancelled)."""
        while True:
            await asyncio.sleep(interval)
            if self.signature() != self._signature:
                self.reload()

    def has_answer(self, intent: str) -> bool:
        return intent in self.live.content.answers

    def render(self, intent: str, t: Translator, country: str | None) -> Rendered:
        live = self.live
        chain = self.languages.chain(t.lang)
        return render_answer(live.content, live.translations, t, intent, chain, country)
