"""Erase my data: /forget, the menu button or the delete_my_data intent."""

from __future__ import annotations

import contextlib

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.cases import store
from bot.context import Handlers, OporaContext
from bot.onboarding import CONVERSATION_NAME
from bot.people import erase_profile
from bot.replies import button, keyboard, show
from bot.report_violation import CONVERSATION_NAME as REPORT_CONVERSATION

__all__ = ["ask_to_forget", "handlers"]


async def ask_to_forget(update: Update, context: OporaContext) -> None:
    """Explain what will be erased and ask to confirm."""
    t = context.t
    text = t.gettext(
        "This erases everything Opora keeps about you: your language, your country, where you "
        "are in a conversation, and the link between you and any case you reported (a "
        "paralegal keeps the case, but can no longer reach you). It cannot be undone. Erase now?"
    )
    markup = keyboard(
        [button("🗑 " + t.gettext("Yes, erase everything"), "forget:yes")],
        [button(t.gettext("No, keep it"), "forget:no")],
    )
    await show(update, text, markup)


async def _confirmed(update: Update, context: OporaContext) -> None:
    """Erase the profile and every stored conversation state of this person."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    t = context.t
    services = context.services
    await erase_profile(database=services.database, subject=context.person.subject)
    await services.persistence.forget_person(
        user.id, chat.id, [CONVERSATION_NAME, REPORT_CONVERSATION]
    )
    unlinked = await store.unlink_client(services.database, context.person.subject)
    staff = services.catalogs.get(services.settings.paralegals.language)
    for case in unlinked:
        if case.workspace is None or case.topic is None:
            continue
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(
                case.workspace,
                "🔒 "
                + staff.gettext(
                    "The client erased their data: case {code} stays with you, but they can no "
                    "longer be reached through Opora."
                ).format(code=case.code),
                message_thread_id=case.topic,
            )
    # Drop the in-memory copy too, or the next persistence flush would write it back.
    context.application.drop_user_data(user.id)
    if context.chat_data is not None:
        context.chat_data.clear()  # a search in progress
    text = t.gettext(
        "Done. Opora no longer keeps anything about you. To remove this chat from your "
        "phone too, delete it in Telegram (press and hold the chat, then Delete). Send /start "
        "if you want to use Opora again."
    )
    await show(update, text)


async def _kept(update: Update, context: OporaContext) -> None:
    """Nothing erased."""
    t = context.t
    await show(
        update,
        t.gettext("Nothing was erased."),
        keyboard([button("☰ " + t.gettext("Main menu"), "menu:main")]),
    )


def handlers() -> Handlers:
    return [
        CommandHandler("forget", ask_to_forget),
        CallbackQueryHandler(ask_to_forget, pattern=r"^menu:erase$"),
        CallbackQueryHandler(_confirmed, pattern=r"^forget:yes$"),
        CallbackQueryHandler(_kept, pattern=r"^forget:no$"),
    ]
