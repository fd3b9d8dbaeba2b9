"""An answer as the bot sends it: Telegram HTML messages under the size limit, and buttons."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.content.markup import MAX_MESSAGE
from bot.content.model import OPTIONAL_NUMBER_KINDS, Content, NumberEntry, Paragraph, Part
from bot.content.translations import ContentTranslations, Status
from bot.i18n import N_, Translator, country_name

__all__ = ["DRAFT_MARK", "LEGAL_MARK", "NO_NUMBER", "Rendered", "render_answer", "split_messages"]

_NUMBER = re.compile(r"\{(ambulance|police|emergency|crisis)\}")
# Which number stands in when a country has no verified number of the asked kind. A general
# line (112) is not assumed to send an ambulance: numbers.yml names it as ambulance if it does.
_NUMBER_FALLBACKS = {
    "ambulance": ("ambulance",),
    "police": ("police",),
    "emergency": ("emergency", "ambulance"),
    "crisis": ("crisis",),
}
NO_NUMBER = N_("the local emergency number")
LEGAL_MARK = N_(
    "This part is awaiting review by a local lawyer. Check with a paralegal before you rely on it."
)
DRAFT_MARK = N_("This translation was drafted by machine and is not reviewed yet.")


@dataclass(frozen=True)
class Rendered:
    """What the bot sends for one intent, in one language, for one country."""

    intent: str
    messages: tuple[str, ...]
    buttons: tuple[tuple[str, str], ...]  # (label, callback data)
    flow: str | None
    urgent: bool
    unreviewed_translation: bool
    awaiting_legal_review: bool
    # Information a person may not want found on their phone (not greetings and small talk).
    sensitive: bool = False


def split_messages(blocks: list[str], limit: int = MAX_MESSAGE) -> tuple[str, ...]:
    """Join paragraphs into as few messages as fit under Telegram's limit, never mid-paragraph
    unless a single paragraph is itself too long (then at a line or word boundary)."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        for piece in _pieces(block, limit):
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return tuple(messages)


def _pieces(block: str, limit: int) -> list[str]:
    if len(block) <= limit:
        return [block]
    cut = block.rfind("\n", 0, limit)
    if cut <= 0:
        cut = block.rfind(" ", 0, limit)
    if cut <= 0:
        cut = limit
    return [block[:cut].rstrip(), *_pieces(block[cut:].lstrip(), limit)]


def _verified(numbers: dict[str, NumberEntry], kind: str) -> NumberEntry | None:
    for candidate in _NUMBER_FALLBACKS[kind]:
        # An unverified number is never shown: a wrong one in an emergency costs more.
        if candidate in numbers and numbers[candidate].verified_on is not None:
            return numbers[candidate]
    return None


def _number(numbers: dict[str, NumberEntry], kind: str, t: Translator) -> str:
    entry = _verified(numbers, kind)
    if entry is None:
        return t.gettext(NO_NUMBER)
    shown = html.escape(entry.number)
    return f"{shown} ({html.escape(entry.name)})" if entry.name else shown


class _Texts:
    """Translates the texts of one answer along the chain, noting unreviewed drafts."""

    def __init__(self, translations: ContentTranslations, chain: tuple[str, ...]) -> None:
        self.translations = translations
        self.chain = chain
        self.draft = False

    def __call__(self, part: Part, text: Paragraph | str) -> str:
        source = text if isinstance(text, str) else text.text
        translated, status = self.translations.resolve(self.chain, part.key, source)
        self.draft = self.draft or status is Status.DRAFT
        return translated


def render_answer(
    content: Content,
    translations: ContentTranslations,
    t: Translator,
    intent: str,
    chain: tuple[str, ...],
    country: str | None,
) -> Rendered:
    """Render `intent` for a person whose language chain and country are given."""
    answer = content.answers[intent]
    texts = _Texts(translations, chain)
    numbers = content.numbers.get(country or "", {})

    def fill(text: str) -> str:
        kinds = set(_NUMBER.findall(text))
        # A paragraph about a line the country does not (verifiably) have is left out.
        if any(kind in OPTIONAL_NUMBER_KINDS and not _verified(numbers, kind) for kind in kinds):
            return ""
        return _NUMBER.sub(lambda m: _number(numbers, m.group(1), t), text)

    common = answer.common
    blocks = []
    # An urgent answer starts with what to do now, not with its title.
    if common.title and not common.urgent:
        blocks.append(f"<b>{texts(common, common.title)}</b>")
    blocks.extend(fill(texts(common, p)) for p in common.paragraphs)
    local = answer.countries.get(country or "")
    if local is not None:
        heading = (
            texts(local, local.title)
            if local.title
            else html.escape(country_name(local.country or "", t.lang))
        )
        blocks.append(f"📍 <b>{heading}</b>")
        blocks.extend(fill(texts(local, p)) for p in local.paragraphs)
        if local.awaiting_legal_review:
            blocks.append("⚖️ <i>" + t.gettext(LEGAL_MARK) + "</i>")
    if texts.draft:
        blocks.append("<i>" + t.gettext(DRAFT_MARK) + "</i>")
    follow_up = [(common, b) for b in common.follow_up]
    if local is not None:
        follow_up.extend((local, b) for b in local.follow_up)
    # A country part may repeat a button of the common part: show it once.
    unique = {b.callback_data: (part, b) for part, b in reversed(follow_up)}
    buttons = tuple(
        (texts(part, b.label), b.callback_data)
        for part, b in (
            unique[data] for data in dict.fromkeys(b.callback_data for _, b in follow_up)
        )
    )
    return Rendered(
        intent=intent,
        messages=split_messages([b for b in blocks if b]),
        buttons=buttons,
        flow=common.flow,
        urgent=common.urgent,
        unreviewed_translation=texts.draft,
        awaiting_legal_review=bool(local and local.awaiting_legal_review),
        sensitive=common.kind != "conversation",
    )
