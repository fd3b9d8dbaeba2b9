"""`python -m bot content check`: everything an editor can break, with file and line."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog

from bot.content.library import load_everything
from bot.content.markup import MAX_MESSAGE, markup_problems, placeholders, plain_text
from bot.content.model import Content, Part, Problem
from bot.content.translations import (
    SOURCE_LANGUAGE,
    ContentTranslations,
    Status,
    checked_catalog,
    po_path,
    status_of,
)
from bot.settings import LanguageSettings

__all__ = ["Coverage", "Report", "check_content"]

# A paragraph longer than this is hard to read on a phone (a warning, not an error).
LONG_PARAGRAPH = 700
LONG_LABEL = 40
MAX_CALLBACK_BYTES = 64
STATUSES = (Status.REVIEWED, Status.DRAFT, Status.STALE, Status.MISSING)


@dataclass
class Coverage:
    """How many texts a language has in each review status."""

    lang: str
    counts: Counter[Status] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Report:
    problems: list[Problem]
    content: list[Coverage]
    interface: list[Coverage]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def _text_limits(path: Path, line: int, text: str, where: str) -> list[Problem]:
    length = len(plain_text(text))
    if len(text) > MAX_MESSAGE:
        return [
            Problem(
                "error",
                path,
                line,
                f"{where}is {len(text)} characters; Telegram's limit is {MAX_MESSAGE}",
            )
        ]
    if length > LONG_PARAGRAPH:
        return [
            Problem(
                "warning", path, line, f"{where}is {length} characters: split it for phone screens"
            )
        ]
    return []


def _part_problems(part: Part) -> list[Problem]:
    problems = []
    information = part.kind == "information" and part.flow is None
    if information and not part.sources:
        problems.append(
            Problem("error", part.path, 2, "no `sources:`: say where the facts come from")
        )
    if information and not part.reviewed and not part.legal:
        problems.append(
            Problem("warning", part.path, 2, "not reviewed yet (reviewed_by / reviewed_on)")
        )
    if part.awaiting_legal_review:
        problems.append(
            Problem("warning", part.path, 2, "legal text awaiting review by a local lawyer")
        )
    if part.legal and not part.country:
        problems.append(
            Problem("warning", part.path, 2, "`legal: true` is meant for country parts")
        )
    for text in part.texts():
        problems.extend(_text_limits(part.path, text.line, text.text, "this text "))
    for button in part.follow_up:
        if len(button.label) > LONG_LABEL:
            problems.append(
                Problem(
                    "warning",
                    part.path,
                    button.line,
                    f"button label over {LONG_LABEL} characters is cut on phones",
                )
            )
        if len(button.callback_data.encode()) > MAX_CALLBACK_BYTES:
            problems.append(Problem("error", part.path, button.line, "button data over 64 bytes"))
    return problems


def _coverage(
    content: Content, translations: ContentTranslations, locales_dir: Path, lang: str
) -> tuple[Coverage, list[Problem]]:
    coverage = Coverage(lang)
    problems = []
    po = po_path(locales_dir, lang)
    for part in content.parts:
        missing = stale = 0
        for text in part.texts():
            status = translations.status(lang, part.key, text.text)
            coverage.counts[status] += 1
            entry = translations.get(lang, part.key, text.text)
            if status is Status.STALE and entry is not None:
                stale += 1
                problems.append(
                    Problem(
                        "warning",
                        po,
                        entry.line,
                        f"{lang}: stale since the English in {part.path.name}:{text.line} "
                        "changed; the fallback is shown",
                    )
                )
            elif status is Status.MISSING:
                missing += 1
            elif entry is not None:
                problems.extend(_text_limits(po, entry.line, entry.text, f"{lang} translation "))
        if missing:
            problems.append(
                Problem(
                    "warning",
                    part.path,
                    1,
                    f"{lang}: {missing} text(s) not translated; the fallback is shown",
                )
            )
    return coverage, problems


def _read_catalog(path: Path) -> Catalog | None:
    """The catalog, or None when it is absent or broken (the loader reports why)."""
    return checked_catalog(path)[0] if path.exists() else None


def _interface(locales_dir: Path, lang: str) -> tuple[Coverage, list[Problem]]:
    """UI strings: status of every template message, and translations Telegram would reject."""
    coverage = Coverage(lang)
    template = _read_catalog(locales_dir / "bot.pot")
    path = po_path(locales_dir, lang, "bot")
    catalog = _read_catalog(path) if path.exists() else None
    problems: list[Problem] = []
    for source in template or []:
        if not source.id or not isinstance(source.id, str):
            continue
        message = catalog.get(source.id, source.context) if catalog else None
        status = status_of(message) if message is not None else Status.MISSING
        coverage.counts[status] += 1
        if message is None or status in (Status.MISSING, Status.STALE):
            continue
        text = message.string if isinstance(message.string, str) else ""
        line = message.lineno or 1
        problems.extend(
            Problem("error", path, line, f"translation: {p}") for p in markup_problems(text)
        )
        if placeholders(text) != placeholders(source.id):
            problems.append(
                Problem("error", path, line, "translation placeholders differ from the source's")
            )
    return coverage, problems


def _numbers(content: Content, content_dir: Path, countries: tuple[str, ...]) -> list[Problem]:
    path = content_dir / "numbers.yml"
    problems = []
    for country in countries:
        if "ambulance" not in content.numbers.get(country, {}):
            problems.append(
                Problem(
                    "warning",
                    path,
                    1,
                    f"{country} has no ambulance number: answers say “the local emergency number”",
                )
            )
    for country, kinds in content.numbers.items():
        for kind, entry in kinds.items():
            if entry.verified_on is None:
                problems.append(
                    Problem(
                        "warning",
                        path,
                        entry.line,
                        f"{country} {kind} {entry.number} has no verified_on date: it is not "
                        "shown until someone verifies it",
                    )
                )
            elif not entry.source:
                problems.append(
                    Problem(
                        "error", path, entry.line, f"{country} {kind} {entry.number} has no source"
                    )
                )
    return problems


def check_content(
    content_dir: Path,
    locales_dir: Path,
    languages: LanguageSettings,
    intents: set[str],
    countries: tuple[str, ...],
) -> Report:
    """Load everything as the bot would and list every problem, plus per-language coverage."""
    loaded = load_everything(content_dir, locales_dir, languages, intents, countries)
    content = loaded.content
    problems = list(loaded.problems)
    for intent in sorted(intents - set(content.answers)):
        problems.append(
            Problem(
                "error",
                content_dir / "answers" / f"{intent}.md",
                1,
                f"the intent {intent!r} has no answer",
            )
        )
    for part in content.parts:
        problems.extend(_part_problems(part))
    problems.extend(_numbers(content, content_dir, countries))
    content_coverage, interface_coverage = [], []
    for lang in languages.supported:
        if lang == SOURCE_LANGUAGE:
            continue
        coverage, found = _coverage(content, loaded.translations, locales_dir, lang)
        content_coverage.append(coverage)
        problems.extend(found)
        coverage, found = _interface(locales_dir, lang)
        interface_coverage.append(coverage)
        problems.extend(found)
    unique = list(dict.fromkeys(problems))
    return Report(unique, content_coverage, interface_coverage)


def coverage_table(rows: list[Coverage], title: str) -> str:
    header = f"{title:<10}" + "".join(f"{s.value:>10}" for s in STATUSES) + f"{'total':>8}"
    lines = [header]
    for row in rows:
        cells = "".join(f"{row.counts[s]:>10}" for s in STATUSES)
        lines.append(f"{row.lang:<10}{cells}{row.total:>8}")
    return "\n".join(lines)
