"""Find services: asks for a location or a city. The directory itself comes with issue 5."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.content.model import SERVICE_TYPES
from bot.context import Handlers, OporaContext
from bot.main_menu import main_menu_markup
from bot.replies import send

__all__ = ["ask_where", "handlers"]


async def ask_where(update: Update, context: OporaContext) -> None:
    """Find services (menu, intent or an answer's "find" button): offer to share a location."""
    t = context.t
    if update.callback_query is not None:
        await update.callback_query.answer()
    markup = ReplyKeyboardMarkup(
        [
            [KeyboardButton("📍 " + t.gettext("Share my location"), request_location=True)],
            [KeyboardButton(t.gettext("Cancel"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await send(
        update,
        t.gettext(
            "To find services near you, share your location with the button below. It is used "
            "for this search only and is not stored."
        ),
        markup,
    )


async def _location(update: Update, context: OporaContext) -> None:
    """A shared location: the directory is not there yet, so say so and keep nothing."""
    t = context.t
    await send(
        update,
        t.gettext(
            "Thank you. The service directory is being prepared and will be here soon. Your "
            "location was not stored."
        ),
        ReplyKeyboardRemove(),
    )
    await send(update, t.gettext("What else can I do for you?"), main_menu_markup(t))


def handlers() -> Handlers:
    return [
        CallbackQueryHandler(ask_where, pattern=r"^menu:services$"),
        # An answer's follow-up, e.g. "Find a site that gives PEP now" (the type: issue 5).
        CallbackQueryHandler(ask_where, pattern=rf"^find:({'|'.join(SERVICE_TYPES)})$"),
        MessageHandler(filters.LOCATION, _location),
    ]
