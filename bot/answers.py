"""Answering an intent from content/: a menu topic, a follow-up button or an understood message.

The text, buttons and country parts all come from the content library (bot/content); this module
only sends them. Intents whose answer is a conversation (choose a language, erase my data, find
a service, report, talk to a person) start that flow instead.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.content.model import SERVICE_TYPES
from bot.content.render import Rendered
from bot.context import Handlers, OporaContext
from bot.find_service import start_search
from bot.forget_me import ask_to_forget
from bot.main_menu import main_menu_markup
from bot.onboarding import language_markup
from bot.replies import acknowledge, button, chosen, keyboard, send
from bot.report_violation import offer_report
from bot.safety import wipe_markup_row

__all__ = ["answer_intent", "handlers", "send_rendered"]

log = logging.getLogger(__name__)


Entities = Mapping[str, str]


async def _choose_language(update: Update, context: OporaContext, entities: Entities) -> None:
    await send(
        update,
        context.t.gettext("Choose your language."),
        language_markup(context.services.settings, context.person.language),
    )


async def _forget(update: Update, context: OporaContext, entities: Entities) -> None:
    await ask_to_forget(update, context)


async def _find(update: Update, context: OporaContext, entities: Entities) -> None:
    wanted = entities.get("service_type")
    types = (wanted,) if wanted in SERVICE_TYPES else ()
    await start_search(update, context, types, entities.get("city"))


async def _report(update: Update, context: OporaContext, entities: Entities) -> None:
    await offer_report(update, context, "report")


async def _human(update: Update, context: OporaContext, entities: Entities) -> None:
    await offer_report(update, context, "consultation")


FLOWS: dict[str, Callable[[Update, OporaContext, Entities], Awaitable[None]]] = {
    "language": _choose_language,
    "forget": _forget,
    "find_service": _find,
    "report": _report,
    "human": _human,
}


async def send_rendered(update: Update, context: OporaContext, rendered: Rendered) -> None:
    """Send an answer's messages; its buttons and the way back go under the last one."""
    t = context.t
    if any(data == "menu:main" for _, data in rendered.buttons):
        # A greeting or "I cannot help with that" is best followed by the whole menu.
        markup = main_menu_markup(t)
    else:
        rows = [[button(label, data)] for label, data in rendered.buttons]
        if rendered.sensitive:
            # Someone may look at this phone: one tap removes the conversation.
            rows.append(wipe_markup_row(t))
        rows.append([button("☰ " + t.gettext("Main menu"), "menu:main")])
        markup = keyboard(*rows)
    *first, last = rendered.messages
    for message in first:
        await send(update, message)
    await send(update, last, markup)


async def answer_intent(
    update: Update, context: OporaContext, intent: str, entities: Entities | None = None
) -> None:
    """Answer `intent` in the person's language, for their country (entities feed a flow)."""
    library = context.services.content
    if not library.has_answer(intent):
        # Only possible while content is broken: `content check` fails on a missing answer.
        log.error("No answer for intent %s", intent)
        await send(
            update,
            context.t.gettext("Sorry, I have no answer on this right now. Please use the menu."),
            main_menu_markup(context.t),
        )
        return
    country = context.person.country if context.has_person else None
    rendered = library.render(intent, context.t, country)
    if rendered.flow is not None:
        if rendered.messages:
            await send(update, rendered.messages[0])
        await FLOWS[rendered.flow](update, context, entities or {})
        return
    await send_rendered(update, context, rendered)


async def _topic_button(update: Update, context: OporaContext) -> None:
    """A topic button: a section menu entry or an answer's follow-up."""
    assert update.callback_query is not None
    await acknowledge(update.callback_query)
    await answer_intent(update, context, chosen(update))


def handlers() -> Handlers:
    return [CallbackQueryHandler(_topic_button, pattern=r"^topic:[a-z_]{1,40}$")]
