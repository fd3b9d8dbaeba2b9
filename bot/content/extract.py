"""Babel extractor for content/answers/*.md: titles, paragraphs and button labels.

Each text is extracted with its file key as context (`msgctxt "pep"`), so the same sentence in
two answers can be translated to fit each. Wired in locales/content.cfg.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from bot.content.loader import read_part
from bot.content.markup import placeholders

__all__ = ["extract"]


def extract(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str, list[str], list[str]]]:
    """Yield (line, "pgettext", [context, text], comments) for every translatable text."""
    path = Path(getattr(fileobj, "name", ""))
    part, problems = read_part(path, set())
    if part is None:
        # Extracting a broken file would silently drop its translations: stop instead.
        raise ValueError("; ".join(str(p) for p in problems))
    labels = {button.label for button in part.follow_up}
    for text in part.texts():
        comments = []
        if text.text in labels:
            comments.append("Translators: a button label; keep it short (under 40 characters).")
        elif part.title is not None and text is part.title:
            comments.append("Translators: the answer's title, shown in bold.")
        if placeholders(text.text):
            comments.append(
                "Translators: keep {ambulance}, {police}, {emergency} as they are: they become "
                "the phone number, or “the local emergency number”. Keep them after a colon."
            )
        if part.country:
            comments.append(f"Translators: this part is only shown to people in {part.country}.")
        yield text.line, "pgettext", [part.key, text.text], comments
