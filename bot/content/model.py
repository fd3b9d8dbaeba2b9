"""What content/ holds once read: answer parts, their paragraphs, follow-ups and numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

__all__ = [
    "FOLLOW_UP_ACTIONS",
    "NUMBER_KINDS",
    "OPTIONAL_NUMBER_KINDS",
    "SERVICE_TYPES",
    "Answer",
    "Content",
    "FollowUp",
    "NumberEntry",
    "Paragraph",
    "Part",
    "Problem",
]

# The taxonomy's service_type entity values (shared/spec/intents.md).
SERVICE_TYPES = (
    "hiv_testing",
    "art",
    "ost",
    "needle_syringe",
    "prep",
    "pep",
    "naloxone",
    "hepatitis",
    "tb",
    "sti",
    "legal_aid",
    "shelter",
    "community_center",
    "mental_health",
)
FOLLOW_UP_ACTIONS = ("find_service", "topic", "human", "report", "menu", "alert")
# The numbers an answer may name with a {placeholder}.
NUMBER_KINDS = ("ambulance", "police", "emergency", "crisis")
# Numbers without which a paragraph naming them is left out (there is no generic stand-in).
OPTIONAL_NUMBER_KINDS = ("crisis",)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in content or a translation, with where to fix it."""

    severity: Literal["error", "warning"]
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class Paragraph:
    text: str
    line: int


@dataclass(frozen=True)
class FollowUp:
    """A button under an answer: `action` with an optional `value`, and its English label."""

    action: str
    value: str | None
    label: str
    line: int

    @property
    def callback_data(self) -> str:
        return {
            "find_service": f"find:{self.value}",
            "topic": f"topic:{self.value}",
            "human": "menu:human",
            "report": "menu:report",
            "menu": "menu:main",
            "alert": "alert:now",
        }[self.action]


@dataclass(frozen=True)
class Part:
    """One file: the common part of an answer, or a country's part of it."""

    path: Path
    key: str  # file name without .md: the translation context, e.g. "pep", "rights_police.KZ"
    intents: tuple[str, ...]
    title: Paragraph | None
    paragraphs: tuple[Paragraph, ...]
    sources: tuple[str, ...]
    reviewed_by: str | None
    reviewed_on: date | None
    follow_up: tuple[FollowUp, ...] = ()
    flow: str | None = None
    urgent: bool = False
    kind: str = "information"
    country: str | None = None
    legal: bool = False

    @property
    def reviewed(self) -> bool:
        return bool(self.reviewed_by) and self.reviewed_on is not None

    @property
    def awaiting_legal_review(self) -> bool:
        return self.legal and not self.reviewed

    def texts(self) -> list[Paragraph]:
        """Every translatable text in the file: title, paragraphs, button labels."""
        labels = [Paragraph(f.label, f.line) for f in self.follow_up]
        return ([self.title] if self.title else []) + list(self.paragraphs) + labels


@dataclass
class Answer:
    intent: str
    common: Part
    countries: dict[str, Part] = field(default_factory=dict)


@dataclass(frozen=True)
class NumberEntry:
    number: str
    source: str | None
    verified_on: date | None
    line: int
    # The line's own name as people know it ("Lifeline Ukraine"); not translated.
    name: str | None = None


@dataclass
class Content:
    """Everything read from content/: answers by intent, and numbers by country and kind."""

    parts: list[Part] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)
    numbers: dict[str, dict[str, NumberEntry]] = field(default_factory=dict)
