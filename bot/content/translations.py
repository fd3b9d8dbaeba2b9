"""Content translations: locales/<lang>/LC_MESSAGES/content.po, read with Babel.

Each translated text has a status, from standard gettext marks that Poedit and Weblate show:

- reviewed: not fuzzy; a person checked it.
- draft: fuzzy, without a previous source (`#| msgid`): machine-drafted, awaiting review. It is
  used (someone's own language serves them better than English) and the answer says so.
- stale: fuzzy with a previous source: the English changed after it was translated
  (`make locales` marks this). It is not used; the fallback chain is tried instead.
- missing: no translation, or one Telegram would reject, or whose placeholders differ.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import PoFileError, read_po

from bot.content.markup import markup_problems, numbers, placeholders
from bot.content.model import Content, Problem

__all__ = [
    "DOMAIN",
    "SOURCE_LANGUAGE",
    "ContentTranslations",
    "Entry",
    "Status",
    "checked_catalog",
    "read_catalog",
    "status_of",
]

DOMAIN = "content"
SOURCE_LANGUAGE = "en"


class Status(StrEnum):
    REVIEWED = "reviewed"
    DRAFT = "draft"
    STALE = "stale"
    MISSING = "missing"


@dataclass(frozen=True)
class Entry:
    text: str
    status: Status
    line: int


def read_catalog(path: Path) -> Catalog:
    """A .po file, with each entry's previous source (`#| msgid`), which Babel does not read.

    Raises PoFileError (with the line) on a syntax error.
    """
    raw = path.read_bytes()
    catalog = read_po(io.BytesIO(raw), abort_invalid=True)
    lines = raw.decode("utf-8").splitlines()
    for message in catalog:
        # Babel keeps "#| msgid" lines as user comments ("| msgid …"); they are not comments.
        message.user_comments = [c for c in message.user_comments if not c.startswith("|")]
        if not message.id or not message.lineno:
            continue
        index = message.lineno - 2  # the line above the msgid
        while index >= 0 and lines[index].startswith(("msgctxt", '"')):
            index -= 1
        previous = []
        while index >= 0 and lines[index].startswith("#"):
            if lines[index].startswith("#| msgid"):
                previous.append(lines[index][len("#| msgid") :].strip().strip('"') or "…")
            index -= 1
        if previous:
            message.previous_id = previous[:1]
    return catalog


def checked_catalog(path: Path) -> tuple[Catalog | None, Problem | None]:
    """read_catalog, with a broken file turned into a Problem at its line."""
    try:
        return read_catalog(path), None
    except PoFileError as exc:
        return None, Problem("error", path, exc.lineno + 1, f"not a valid .po file: {exc}")
    except (UnicodeDecodeError, ValueError) as exc:
        return None, Problem("error", path, 1, f"not a valid .po file: {exc}")


def status_of(message: Message) -> Status:
    """The review status gettext marks give a translated message."""
    if not message.string or (isinstance(message.string, tuple) and not all(message.string)):
        return Status.MISSING
    if message.fuzzy:
        return Status.STALE if message.previous_id else Status.DRAFT
    return Status.REVIEWED


def po_path(locales_dir: Path, lang: str, domain: str = DOMAIN) -> Path:
    return locales_dir / lang / "LC_MESSAGES" / f"{domain}.po"


class ContentTranslations:
    """Every language's translated content texts, keyed by (file key, English text)."""

    def __init__(self, entries: dict[str, dict[tuple[str, str], Entry]]) -> None:
        self._entries = entries

    @classmethod
    def load(
        cls, locales_dir: Path, languages: tuple[str, ...], content: Content
    ) -> tuple[ContentTranslations, list[Problem]]:
        """Read every language's content.po; unusable entries are left out and reported."""
        sources = {
            (part.key, text.text): text.text for part in content.parts for text in part.texts()
        }
        entries: dict[str, dict[tuple[str, str], Entry]] = {}
        problems: list[Problem] = []
        for lang in languages:
            if lang == SOURCE_LANGUAGE:
                continue
            path = po_path(locales_dir, lang)
            if not path.exists():
                continue
            catalog, problem = checked_catalog(path)
            if catalog is None:
                problems.extend([problem] if problem else [])
                continue
            found: dict[tuple[str, str], Entry] = {}
            for message in catalog:
                if not message.id or not isinstance(message.id, str):
                    continue
                key = (message.context or "", message.id)
                line = message.lineno or 1
                status = status_of(message)
                text = message.string if isinstance(message.string, str) else ""
                if key not in sources or status is Status.MISSING:
                    continue
                wrong = [f"translation: {p}" for p in markup_problems(text)]
                if placeholders(text) != placeholders(message.id):
                    wrong.append(
                        "translation placeholders {} differ from the source's {}".format(
                            " ".join(f"{{{p}}}" for p in placeholders(text)) or "(none)",
                            " ".join(f"{{{p}}}" for p in placeholders(message.id)) or "(none)",
                        )
                    )
                if numbers(text) != numbers(message.id):
                    wrong.append(
                        "translation numbers {} differ from the source's {}: keep every number "
                        "as digits".format(
                            " ".join(numbers(text)) or "(none)",
                            " ".join(numbers(message.id)) or "(none)",
                        )
                    )
                if wrong and status is not Status.STALE:
                    problems.extend(Problem("error", path, line, w) for w in wrong)
                    continue
                found[key] = Entry(text, status, line)
            entries[lang] = found
        return cls(entries), problems

    def get(self, lang: str, key: str, source: str) -> Entry | None:
        """The usable-or-stale entry for one text in one language, if there is one."""
        return self._entries.get(lang, {}).get((key, source))

    def status(self, lang: str, key: str, source: str) -> Status:
        if lang == SOURCE_LANGUAGE:
            return Status.REVIEWED
        entry = self.get(lang, key, source)
        return entry.status if entry else Status.MISSING

    def resolve(self, chain: tuple[str, ...], key: str, source: str) -> tuple[str, Status]:
        """The text to show: the first language in the chain with a current translation."""
        for lang in (*chain, SOURCE_LANGUAGE):
            if lang == SOURCE_LANGUAGE:
                return source, Status.REVIEWED
            entry = self.get(lang, key, source)
            if entry is not None and entry.status in (Status.REVIEWED, Status.DRAFT):
                return entry.text, entry.status
        return source, Status.REVIEWED  # unreachable: the chain always ends in the source
