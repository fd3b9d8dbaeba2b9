"""Telegram's HTML subset: what an answer may contain, and what Telegram would reject."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

__all__ = ["MAX_MESSAGE", "markup_problems", "numbers", "placeholders", "plain_text"]

# Telegram rejects a message whose text is longer than this (after entities are parsed).
MAX_MESSAGE = 4096
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "a"}
ALLOWED_ENTITIES = {"lt", "gt", "amp", "quot"}
LINK_SCHEMES = ("https://", "http://", "tg://")

PLACEHOLDER = re.compile(r"\{([^{}\s]*)\}")
_BARE_AMPERSAND = re.compile(r"&(?!(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);)")
_BARE_LT = re.compile(r"<(?![a-zA-Z/])")
_TAG = re.compile(r"<[^>]*>")
_DIGITS = re.compile(r"\d+")


class _Validator(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.problems: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"<{tag}> is not allowed (Telegram accepts {_allowed()})")
            return
        names = {name for name, _ in attrs}
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if not href.startswith(LINK_SCHEMES):
                self.problems.append('<a> needs href="https://…"')
            names.discard("href")
        if names:
            self.problems.append(f"<{tag}> cannot have {', '.join(sorted(names))}")
        if tag in self.open:
            self.problems.append(f"<{tag}> is opened again inside itself")
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"<{tag}/> is not allowed")

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            expected = f"</{self.open[-1]}>" if self.open else "nothing"
            self.problems.append(f"</{tag}> closes nothing open here (expected {expected})")
            if tag in self.open:
                del self.open[self.open.index(tag) :]
            return
        self.open.pop()

    def handle_entityref(self, name: str) -> None:
        if name not in ALLOWED_ENTITIES:
            self.problems.append(f"&{name}; is not one of &lt; &gt; &amp; &quot;")


def _allowed() -> str:
    return " ".join(f"<{tag}>" for tag in sorted(ALLOWED_TAGS))


def markup_problems(text: str) -> list[str]:
    """Why Telegram would reject `text` as HTML (empty when it is fine)."""
    problems = []
    if _BARE_AMPERSAND.search(text):
        problems.append("a bare & must be written &amp;")
    if _BARE_LT.search(text):
        problems.append("a bare < must be written &lt;")
    validator = _Validator()
    validator.feed(text)
    validator.close()
    problems.extend(validator.problems)
    if validator.open:
        problems.append(f"<{validator.open[-1]}> is never closed")
    return problems


def plain_text(text: str) -> str:
    """What a person reads: tags removed, entities decoded."""
    return html.unescape(_TAG.sub("", text))


def numbers(text: str) -> list[str]:
    """The numbers a reader sees (hours, days, percentages, doses of time), sorted, with repeats.

    A translation must keep them all: "72 hours" turning into "27" or "three days" is how a
    medical fact goes wrong without anyone noticing.
    """
    return sorted(_DIGITS.findall(plain_text(text)))


def placeholders(text: str) -> list[str]:
    """The {placeholders} in a text, sorted, with repeats (so counts are compared too)."""
    return sorted(PLACEHOLDER.findall(text))
