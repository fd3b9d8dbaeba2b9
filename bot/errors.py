"""The one catch-all error handler: log the update id and the error type, reply kindly."""

from __future__ import annotations

import logging
import traceback

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.context import OporaContext
from bot.db import DatabaseUnavailable
from bot.i18n import Translator, negotiate

__all__ = ["on_error", "translator_for"]

log = logging.getLogger(__name__)


async def on_error(update: object, context: OporaContext) -> None:
    """Never log what was written or who wrote it: only the update id and exception type."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    # Exception messages can quote what a person wrote, so only the frames are logged.
    frames = "" if error is None else "".join(traceback.format_tb(error.__traceback__))
    log.error("Update %s failed: %s\n%s", update_id, type(error).__name__, frames)
    context.services.ledger.failed(type(error).__name__)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    text = _apology(update, context, error)
    if text is not None:
        try:
            await update.effective_chat.send_message(text)
        except TelegramError:
            log.warning("Could not tell update %s about the error", update_id)
    if isinstance(error, DatabaseUnavailable):
        # Without the database the next handlers would only fail again (and apologise again).
        raise ApplicationHandlerStop


def _apology(update: Update, context: OporaContext, error: Exception | None) -> str | None:
    """What to tell the person, or None when they were already told."""
    t = translator_for(update, context)
    services = context.services
    update_id = update.update_id
    if isinstance(error, DatabaseUnavailable) and services.redelivered:
        # Telegram posts the update again until it is handled: say so once, not per try.
        if update_id in services.told_to_wait:
            return None
        if len(services.told_to_wait) > 10_000:
            services.told_to_wait.clear()
        services.told_to_wait.add(update_id)
        return t.gettext(
            "Sorry, Opora is having trouble on our side. Your message is not lost: you will get "
            "the answer as soon as it is fixed. If this is an emergency, call your local "
            "emergency number."
        )
    if isinstance(error, DatabaseUnavailable):
        return t.gettext(
            "Sorry, Opora is having trouble on our side and could not save that. Please try "
            "again in a few minutes. If this is an emergency, call your local emergency number."
        )
    return t.gettext(
        "Sorry, something went wrong on our side. Please try again, or send /menu to start "
        "over. If this is an emergency, call your local emergency number."
    )


def translator_for(update: Update, context: OporaContext) -> Translator:
    """The person's language, even when the failure came before their profile was read."""
    if context.has_person:
        return context.t
    languages = context.services.settings.languages
    code = update.effective_user.language_code if update.effective_user else None
    return context.services.catalogs.get(negotiate(None, code, languages))
