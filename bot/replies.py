"""Small helpers every feature uses to answer: send or edit, with the person's keyboard."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import TypeAlias

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest

__all__ = ["acknowledge", "button", "chosen", "keyboard", "send", "show"]

log = logging.getLogger(__name__)

Markup: TypeAlias = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


# The button press answered last in this task: Telegram takes one answer per press and refuses
# a second, so helpers that may run after one another never answer twice.
_answered: ContextVar[str | None] = ContextVar("answered_query", default=None)


async def acknowledge(
    query: CallbackQuery | None, text: str | None = None, show_alert: bool = False
) -> None:
    """Answer a button press once (stops the spinner; `text` shows on top).

    Telegram refuses answers to a press older than about 15 seconds, or already answered: so it
    goes when the bot was slow, or when Telegram posts the press again after an outage. The
    press itself is still handled; only the spinner answer is lost, and only a `text` (a toast
    the person would have seen) is worth a log line.
    """
    if query is None or _answered.get() == query.id:
        return
    _answered.set(query.id)
    try:
        await query.answer(text, show_alert=show_alert)
    except BadRequest as exc:
        message = exc.message.lower()
        if "query is too old" not in message and "query id is invalid" not in message:
            raise
        if text:
            log.info("A button answer came too late for Telegram to show it")


def chosen(update: Update) -> str:
    """What a pressed button chose: the part of its callback data after the first colon."""
    query = update.callback_query
    if query is None or not query.data:
        raise ValueError("not a button press")
    return query.data.split(":", 1)[-1]


def button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)


def keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([row for row in rows if row])


async def send(update: Update, text: str, markup: Markup = None) -> Message | None:
    """Send a new message into the chat the update came from."""
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(
        text, parse_mode=ParseMode.HTML, reply_markup=markup, disable_web_page_preview=True
    )


async def show(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Replace the pressed menu in place, or send a new message when there is none to edit."""
    query = update.callback_query
    if query is not None:
        await acknowledge(query)
        if query.message is not None:
            try:
                await query.edit_message_text(
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    disable_web_page_preview=True,
                )
                return
            except BadRequest as exc:
                if "not modified" in exc.message:
                    return  # the same menu pressed twice: it is already on screen
                # Too old to edit (or deleted): a fresh message is just as good.
    await send(update, text, markup)
