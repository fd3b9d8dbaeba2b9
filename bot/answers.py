"""Answering an information topic, from a menu button or an understood message.

The reviewed answers come from content/ (issue 4). Until a topic has one, the bot says so
plainly; for urgent topics it still gives the one instruction that is always right: get help.
"""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.context import Handlers, OporaContext
from bot.replies import button, chosen, keyboard, send
from bot.topics import TOPICS

__all__ = ["answer_topic", "handlers"]


async def answer_topic(update: Update, context: OporaContext, intent: str) -> None:
    """Send what Opora has on `intent`, with follow-up buttons."""
    t = context.t
    topic = TOPICS[intent]
    if intent == "overdose_emergency":
        text = t.gettext(
            "🚑 <b>If someone may be overdosing, call an ambulance now.</b> Stay with them and "
            "keep them breathing. Step-by-step instructions are being reviewed and will be "
            "here soon."
        )
    elif intent == "mental_health_crisis":
        text = t.gettext(
            "I am really glad you wrote. You do not have to go through this alone. If you "
            "might hurt yourself right now, please call your local emergency number or go to "
            "someone you trust. A person to talk to through Opora will be here soon."
        )
    else:
        text = t.gettext(
            "Opora’s answer about “{topic}” is being written and reviewed by specialists. "
            "It will be here soon."
        ).format(topic=html.escape(t.gettext(topic.label)))
    markup = keyboard(
        [button("💬 " + t.gettext("Talk to a person"), "menu:human")],
        [button("☰ " + t.gettext("Main menu"), "menu:main")],
    )
    await send(update, text, markup)


async def _topic_button(update: Update, context: OporaContext) -> None:
    """A topic button in a section menu."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await answer_topic(update, context, chosen(update))


def handlers() -> Handlers:
    intents = "|".join(TOPICS)
    return [CallbackQueryHandler(_topic_button, pattern=rf"^topic:({intents})$")]
