"""Reading content/: answer files with YAML front matter, and numbers.yml.

Every problem found is collected with its file and line; a file with an error is left out, so
one broken file never hides the others.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.content.markup import markup_problems, placeholders
from bot.content.model import (
    FOLLOW_UP_ACTIONS,
    NUMBER_KINDS,
    SERVICE_TYPES,
    Answer,
    Content,
    FollowUp,
    NumberEntry,
    Paragraph,
    Part,
    Problem,
)

__all__ = ["FLOWS", "load_content"]

FLOWS = ("language", "forget", "find_service", "report", "human")
KINDS = ("information", "conversation")
FRONT_MATTER_KEYS = {
    "intents",
    "title",
    "sources",
    "reviewed_by",
    "reviewed_on",
    "follow_up",
    "flow",
    "urgent",
    "kind",
    "country",
    "legal",
}
_FILE_NAME = re.compile(r"^(?P<stem>[a-z][a-z0-9_]*)(?:\.(?P<country>[A-Z]{2}))?\.md$")
_LINES = "__lines__"


class _LineLoader(yaml.SafeLoader):
    """A safe YAML loader that remembers the line of every mapping key."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        mapping[_LINES] = {
            key.value: key.start_mark.line + 1 for key, _ in node.value if hasattr(key, "value")
        }
        mapping[_LINES][None] = node.start_mark.line + 1
        return mapping


def _yaml(text: str) -> Any:
    return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass


class _File:
    """Problems for one file, with line numbers shifted to the file's own."""

    def __init__(self, path: Path, offset: int = 0) -> None:
        self.path = path
        self.offset = offset
        self.problems: list[Problem] = []

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem("error", self.path, line + self.offset, message))

    @property
    def failed(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


def _line(mapping: dict[str, Any], key: str | None) -> int:
    lines: dict[str | None, int] = mapping.get(_LINES, {})
    return lines.get(key, lines.get(None, 1))


def _string(file: _File, meta: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = meta.get(key)
    if value is None:
        if required:
            file.error(_line(meta, None), f"`{key}:` is missing")
        return None
    if not isinstance(value, str) or not value.strip():
        file.error(_line(meta, key), f"`{key}:` must be text")
        return None
    return value.strip()


def _date(file: _File, meta: dict[str, Any], key: str) -> date | None:
    value = meta.get(key)
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        file.error(_line(meta, key), f"`{key}:` must be a date like 2026-11-25, not {value!r}")
        return None


def _follow_up(file: _File, meta: dict[str, Any], intents: set[str]) -> tuple[FollowUp, ...]:
    items = meta.get("follow_up") or []
    if not isinstance(items, list):
        file.error(_line(meta, "follow_up"), "`follow_up:` must be a list of buttons")
        return ()
    buttons = []
    for item in items:
        line = _line(item, None) if isinstance(item, dict) else _line(meta, "follow_up")
        actions = [k for k in item if k in FOLLOW_UP_ACTIONS] if isinstance(item, dict) else []
        if len(actions) != 1:
            file.error(line, f"a follow-up button needs one of: {', '.join(FOLLOW_UP_ACTIONS)}")
            continue
        action = actions[0]
        extra = set(item) - {action, "label", _LINES}
        if extra:
            file.error(line, f"unknown key in a follow-up button: {', '.join(sorted(extra))}")
        value, label = item[action], item.get("label")
        if action in ("human", "report", "menu", "alert"):
            label, value = value, None
        elif action == "find_service" and value not in SERVICE_TYPES:
            file.error(
                line, f"unknown service type {value!r}; use one of {', '.join(SERVICE_TYPES)}"
            )
            continue
        elif action == "topic" and intents and value not in intents:
            file.error(line, f"topic {value!r} is not an intent")
            continue
        if not isinstance(label, str) or not label.strip():
            file.error(line, f"the {action} button needs a label")
            continue
        buttons.append(FollowUp(action, value, label.strip(), line + file.offset))
    return tuple(buttons)


def _paragraphs(file: _File, lines: list[str], first_line: int) -> tuple[Paragraph, ...]:
    paragraphs: list[Paragraph] = []
    block: list[str] = []
    start = first_line
    for number, line in enumerate([*lines, ""], start=first_line):
        if line.strip():
            if not block:
                start = number
            block.append(line.rstrip())
        elif block:
            paragraphs.append(Paragraph("\n".join(block).strip(), start))
            block = []
    for paragraph in paragraphs:
        _check_text(file, paragraph)
    return tuple(paragraphs)


def _check_text(file: _File, text: Paragraph) -> None:
    for problem in markup_problems(text.text):
        file.problems.append(Problem("error", file.path, text.line, problem))
    unknown = set(placeholders(text.text)) - set(NUMBER_KINDS)
    for name in sorted(unknown):
        file.problems.append(
            Problem(
                "error",
                file.path,
                text.line,
                f"unknown placeholder {{{name}}}; use {', '.join(NUMBER_KINDS)}",
            )
        )


def read_part(path: Path, intents: set[str]) -> tuple[Part | None, list[Problem]]:
    """One answer file, or None and the reasons it cannot be used."""
    file = _File(path)
    match = _FILE_NAME.match(path.name)
    if match is None:
        file.error(
            1,
            "name the file <intent>.md or <intent>.<COUNTRY>.md (e.g. pep.md, rights_police.KZ.md)",
        )
        return None, file.problems
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        file.error(1, f"the file is not UTF-8 text ({exc.reason})")
        return None, file.problems
    if not lines or lines[0].strip() != "---" or "---" not in [x.strip() for x in lines[1:]]:
        file.error(1, "the file must start with front matter between two --- lines")
        return None, file.problems
    end = 1 + [x.strip() for x in lines[1:]].index("---")
    file.offset = 1  # front matter line 1 is the file's line 2
    try:
        meta = _yaml("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "unreadable"
        file.error(mark.line + 1 if mark else 1, f"front matter is not valid YAML: {problem}")
        return None, file.problems
    if not isinstance(meta, dict):
        file.error(1, "front matter must be `key: value` lines")
        return None, file.problems
    for key in sorted(set(meta) - FRONT_MATTER_KEYS - {_LINES}):
        file.error(_line(meta, key), f"unknown front matter key `{key}:`")
    country = match["country"]
    stem = match["stem"]
    raw_intents = meta.get("intents", [stem] if country else None)
    if not isinstance(raw_intents, list) or not raw_intents:
        file.error(_line(meta, "intents"), "`intents:` must list the intents this file answers")
        raw_intents = []
    for intent in raw_intents:
        if intents and intent not in intents:
            file.error(_line(meta, "intents"), f"{intent!r} is not an intent the NLU knows")
    if country and meta.get("country") != country:
        file.error(_line(meta, "country"), f"`country: {country}` must match the file name")
    sources = meta.get("sources") or []
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        file.error(_line(meta, "sources"), "`sources:` must be a list of texts")
        sources = []
    flow, kind = meta.get("flow"), meta.get("kind", "information")
    if flow is not None and flow not in FLOWS:
        file.error(_line(meta, "flow"), f"unknown flow {flow!r}; use one of {', '.join(FLOWS)}")
    if kind not in KINDS:
        file.error(_line(meta, "kind"), f"`kind:` is one of {', '.join(KINDS)}")
    for flag in ("urgent", "legal"):
        if not isinstance(meta.get(flag, False), bool):
            file.error(_line(meta, flag), f"`{flag}:` is true or false")
    title_text = _string(file, meta, "title")
    title = Paragraph(title_text, _line(meta, "title") + 1) if title_text else None
    if title:
        _check_text(file, title)
    file.offset = 0
    paragraphs = _paragraphs(file, lines[end + 1 :], end + 2)
    file.offset = 1
    part = Part(
        path=path,
        key=path.name.removesuffix(".md"),
        intents=tuple(str(i) for i in raw_intents),
        title=title,
        paragraphs=paragraphs,
        sources=tuple(sources),
        reviewed_by=_string(file, meta, "reviewed_by"),
        reviewed_on=_date(file, meta, "reviewed_on"),
        follow_up=_follow_up(file, meta, intents),
        flow=flow,
        urgent=bool(meta.get("urgent", False)),
        kind=str(kind),
        country=country,
        legal=bool(meta.get("legal", False)),
    )
    if not paragraphs and flow is None:
        file.error(1, "the answer has no text (write paragraphs after the front matter)")
    return (None if file.failed else part), file.problems


def read_numbers(
    path: Path, countries: set[str]
) -> tuple[dict[str, dict[str, NumberEntry]], list[Problem]]:
    """numbers.yml: per country, per kind, a number with its source and verified-on date."""
    file = _File(path)
    if not path.exists():
        return {}, []
    try:
        data = _yaml(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        file.error(mark.line + 1 if mark else 1, f"not valid YAML: {problem}")
        return {}, file.problems
    numbers: dict[str, dict[str, NumberEntry]] = {}
    for country, kinds in data.items():
        if country == _LINES:
            continue
        line = _line(data, country)
        if countries and country not in countries:
            file.error(line, f"{country!r} is not a country in config.yml")
            continue
        if not isinstance(kinds, dict):
            file.error(line, "list the numbers as ambulance:, police:, emergency:")
            continue
        for kind, entry in kinds.items():
            if kind == _LINES:
                continue
            line = _line(kinds, kind)
            if kind not in NUMBER_KINDS:
                file.error(line, f"unknown number kind {kind!r}; use {', '.join(NUMBER_KINDS)}")
                continue
            number = entry.get("number") if isinstance(entry, dict) else None
            if not isinstance(number, str) or not re.fullmatch(r"\+?[0-9][0-9 \-]{1,18}", number):
                file.error(line, 'write the number as text of digits, e.g. number: "103"')
                continue
            verified = entry.get("verified_on")
            if verified is not None and not isinstance(verified, date):
                file.error(line, "`verified_on:` must be a date like 2026-11-25")
                continue
            source = entry.get("source")
            name = entry.get("name")
            numbers.setdefault(country, {})[kind] = NumberEntry(
                number,
                source if isinstance(source, str) else None,
                verified,
                line,
                name if isinstance(name, str) else None,
            )
    return numbers, file.problems


def load_content(
    content_dir: Path, intents: set[str], countries: set[str]
) -> tuple[Content, list[Problem]]:
    """Everything in content/; files with errors are left out and reported."""
    problems: list[Problem] = []
    content = Content()
    for path in sorted((content_dir / "answers").glob("*.md")):
        part, found = read_part(path, intents)
        problems.extend(found)
        if part is not None:
            content.parts.append(part)
    for part in content.parts:
        if part.country:
            continue
        for intent in part.intents:
            if intent in content.answers:
                other = content.answers[intent].common.path.name
                problems.append(
                    Problem("error", part.path, 2, f"{intent!r} is already answered by {other}")
                )
                continue
            content.answers[intent] = Answer(intent, part)
    for part in content.parts:
        if not part.country:
            continue
        stem = part.key.split(".")[0]
        owners = [a for a in content.answers.values() if a.common.key == stem]
        if not owners:
            problems.append(
                Problem("error", part.path, 1, f"there is no {stem}.md for this country part")
            )
        if countries and part.country not in countries:
            problems.append(
                Problem("warning", part.path, 1, f"{part.country} is not a country in config.yml")
            )
        for answer in owners:
            answer.countries[part.country] = part
    numbers, found = read_numbers(content_dir / "numbers.yml", countries)
    content.numbers = numbers
    problems.extend(found)
    return content, problems
