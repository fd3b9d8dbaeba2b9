"""Free text: ask the NLU service what the person means, then route to the right answer.

Below the confidence threshold the bot asks "Did you mean…?" with the top guesses; when the
service is down it says so briefly and offers the menu. Urgent intents are answered at once,
even at lower confidence, because a missed overdose costs more than a wrong guess.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.answers import answer_intent
from bot.context import Handlers, OporaContext
from bot.find_service import town_typed, waiting_for_town
from bot.main_menu import main_menu_markup
from bot.nlu import IntentGuess, NluUnavailable
from bot.replies import button, chosen, keyboard, send
from bot.topics import TOPICS, URGENT_INTENTS

__all__ = ["handlers", "route_intent"]

log = logging.getLogger(__name__)

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


async def _free_text(update: Update, context: OporaContext) -> None:
    """Any text that no flow is waiting for."""
    message = update.effective_message
    assert message is not None and message.text is not None
    t = context.t
    if waiting_for_town(context):
        # The search asked "where?": this text is a town, not a question for the NLU.
        await town_typed(update, context)
        return
    try:
        understood = await context.services.nlu.parse(message.text, context.person.language)
    except NluUnavailable:
        keyword_intent = context.services.keywords.match(message.text, context.person.language)
        if keyword_intent is not None:
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
        await route_intent(update, context, urgent[0].name)
    elif top.confidence >= threshold or top.name == "out_of_scope":
        entities = {e.entity: e.value for e in understood.entities}
        await route_intent(update, context, top.name, entities)
    else:
        await _did_you_mean(update, context, list(understood.ranking))


async def _suggestion_chosen(update: Update, context: OporaContext) -> None:
    """A "Did you mean" button."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await route_intent(update, context, chosen(update))


def handlers() -> Handlers:
    intents = "|".join(sorted(SUGGESTIBLE))
    return [
        MessageHandler(filters.TEXT & ~filters.COMMAND, _free_text),
        CallbackQueryHandler(_suggestion_chosen, pattern=rf"^intent:({intents})$"),
    ]
