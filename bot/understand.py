"""Free text: ask the NLU service what the person means, then route to the right answer.

Below the confidence threshold the bot asks "Did you mean…?" with the top guesses; when the
service is down it says so briefly and offers the menu. Urgent intents are answered at once,
even at lower confidence, because a missed overdose costs more than a wrong guess.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.answers import answer_intent
from bot.context import Handlers, OporaContext
from bot.find_service import town_typed, waiting_for_town
from bot.main_menu import main_menu_markup
from bot.nlu import IntentGuess, NluUnavailable
from bot.replies import acknowledge, button, chosen, keyboard, send
from bot.topics import TOPICS, URGENT_INTENTS

__all__ = ["handlers", "route_intent"]

log = logging.getLogger(__name__)

# Zero-width characters, direction marks and other invisible format characters.
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
# What the NLU reads of one message: questions are short, pasted walls of text are cut.
MAX_NLU_TEXT = 1000
# Rights with the police, happening right now (words in nlu/keywords.yml).
DETAINED_NOW = "detained_now"
# Urgent intents are trusted from this confidence on, below the normal threshold.
URGENT_THRESHOLD = 0.3
# Intents that make sense as a "Did you mean" button.
SUGGESTIBLE = frozenset(TOPICS) | {"find_service", "report_violation", "human_handoff"}


def _suggestion_label(context: OporaContext, intent: str) -> str:
    t = context.t
    if intent in TOPICS:
        return t.gettext(TOPICS[intent].label)
    return {
        "find_service": t.gettext("Find services"),
        "report_violation": t.gettext("Report a violation"),
        "human_handoff": t.gettext("Talk to a person"),
    }[intent]


async def route_intent(
    update: Update, context: OporaContext, intent: str, entities: Mapping[str, str] | None = None
) -> None:
    """Answer an intent, whether it came from the NLU or from a "Did you mean" button."""
    await answer_intent(update, context, intent, entities)


async def _did_you_mean(update: Update, context: OporaContext, guesses: list[IntentGuess]) -> None:
    t = context.t
    options = [g.name for g in guesses if g.name in SUGGESTIBLE][:3]
    rows = [[button(_suggestion_label(context, name), f"intent:{name}")] for name in options]
    rows.append([button("💬 " + t.gettext("Talk to a person"), "menu:human")])
    rows.append([button("☰ " + t.gettext("Main menu"), "menu:main")])
    await send(update, t.gettext("I am not sure I understood. Did you mean:"), keyboard(*rows))


def readable(text: str) -> str:
    """The text as the NLU should read it: no invisible or direction marks, spaces squeezed,
    and no longer than a question needs (the rest of a 4,096-character paste is noise)."""
    visible = _INVISIBLE.sub("", text)
    return " ".join(visible.split())[:MAX_NLU_TEXT]


async def _free_text(update: Update, context: OporaContext) -> None:
    """Any text that no flow is waiting for."""
    message = update.effective_message
    assert message is not None and message.text is not None
    t = context.t
    if waiting_for_town(context):
        # The search asked "where?": this text is a town, not a question for the NLU.
        await town_typed(update, context)
        return
    text = readable(message.text)
    if not any(ch.isalnum() for ch in text):
        # Emoji, punctuation or invisible characters only: nothing to understand.
        await send(
            update,
            t.gettext(
                "I could not find any words in that. Please write your question, or use the menu."
            ),
            main_menu_markup(t),
        )
        return
    keywords = context.services.keywords
    language = context.person.language
    usage = context.services.usage
    usage.note("free_text", language)
    try:
        understood = await context.services.nlu.parse(text, language)
    except NluUnavailable:
        usage.note("nlu_down", language)
        keyword_intent = keywords.match(text, language)
        if keyword_intent is not None:
            usage.note("intent", language, keyword_intent)
            await route_intent(update, context, keyword_intent)
            return
        await send(
            update,
            t.gettext(
                "I cannot read free text right now, sorry. Please use the menu; it works as usual."
            ),
            main_menu_markup(t),
        )
        return
    top = understood.intent
    threshold = context.services.settings.nlu.confidence_threshold
    urgent = [
        guess
        for guess in understood.ranking
        if guess.name in URGENT_INTENTS and guess.confidence >= URGENT_THRESHOLD
    ]
    if urgent:
        usage.note("intent", language, urgent[0].name)
        await route_intent(update, context, urgent[0].name)
    elif keywords.matches(DETAINED_NOW, text, language):
        # Stopped, searched or detained right now: the short card and the alert button first.
        usage.note("intent", language, DETAINED_NOW)
        await route_intent(update, context, DETAINED_NOW)
    elif top.confidence >= threshold or top.name == "out_of_scope":
        if top.name == "out_of_scope":
            _misunderstood(context, "not_placed", None, text)
        else:
            usage.note("intent", language, top.name)
        entities = {e.entity: e.value for e in understood.entities}
        await route_intent(update, context, top.name, entities)
    else:
        _misunderstood(context, "did_you_mean", top.name, text)
        await _did_you_mean(update, context, list(understood.ranking))


def _misunderstood(context: OporaContext, reason: str, guess: str | None, text: str) -> None:
    """Count a message the NLU could not place; keep its text only if the person opted in."""
    person = context.person
    context.services.usage.note(reason, person.language, guess or "")
    if person.improve_nlu:
        context.services.usage.sample(person.language, reason, guess, text)


async def _suggestion_chosen(update: Update, context: OporaContext) -> None:
    """A "Did you mean" button."""
    assert update.callback_query is not None
    await acknowledge(update.callback_query)
    context.services.usage.note("chosen", context.person.language, chosen(update))
    await route_intent(update, context, chosen(update))


def handlers() -> Handlers:
    intents = "|".join(sorted(SUGGESTIBLE))
    return [
        MessageHandler(filters.TEXT & ~filters.COMMAND, _free_text),
        CallbackQueryHandler(_suggestion_chosen, pattern=rf"^intent:({intents})$"),
    ]
