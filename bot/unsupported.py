"""Whatever no feature handles: stale buttons, stickers, voice notes, unknown commands."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.context import Handlers, OporaContext
from bot.main_menu import main_menu_markup
from bot.observe import ignore
from bot.replies import acknowledge, send

__all__ = ["handlers"]


async def _stale_button(update: Update, context: OporaContext) -> None:
    """A button from an old message whose action no longer exists."""
    query = update.callback_query
    assert query is not None
    t = context.t
    await acknowledge(query, t.gettext("This button is out of date."))
    await send(update, t.gettext("Here is the current menu."), main_menu_markup(t))


async def _unknown_command(update: Update, context: OporaContext) -> None:
    """A command Opora does not have."""
    t = context.t
    await send(
        update, t.gettext("I do not know that command. Here is the menu."), main_menu_markup(t)
    )


async def _other_message(update: Update, context: OporaContext) -> None:
    """Photos, stickers, voice notes… outside a flow that asked for them."""
    t = context.t
    await send(
        update,
        t.gettext(
            "I can only read text messages here. Please write your question, or use the menu."
        ),
        main_menu_markup(t),
    )


async def _service_message(update: Update, context: OporaContext) -> None:
    """Telegram's own notes in the chat (a pinned message, a member joined): nothing to say."""
    ignore(context.services.ledger, "service_message")


def handlers() -> Handlers:
    return [
        CallbackQueryHandler(_stale_button),
        MessageHandler(filters.COMMAND, _unknown_command),
        MessageHandler(filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL, _other_message),
        MessageHandler(filters.StatusUpdate.ALL, _service_message),
    ]
