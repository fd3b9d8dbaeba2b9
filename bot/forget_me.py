"""Erase my data: /forget, the menu button or the delete_my_data intent."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.case_desk import tell_topic, tell_withdrawn
from bot.cases import store
from bot.context import Handlers, OporaContext
from bot.onboarding import CONVERSATION_NAME
from bot.outgoing import untracked
from bot.people import erase_profile
from bot.replies import acknowledge, button, chosen, keyboard, send, show
from bot.report_violation import CONVERSATION_NAME as REPORT_CONVERSATION
from bot.safety import delete_due

__all__ = ["ask_to_forget", "handlers"]


async def ask_to_forget(update: Update, context: OporaContext) -> None:
    """Explain what will be erased and ask to confirm."""
    t = context.t
    text = t.gettext(
        "This erases everything Opora keeps about you: your language, your country, your "
        "settings, where you are in a conversation, any report you have not sent, and the link "
        "between you and any case you reported. It also deletes the messages of the last 48 "
        "hours in this chat. It cannot be undone. Erase now?"
    )
    markup = keyboard(
        [button("🗑 " + t.gettext("Yes, erase everything"), "forget:yes")],
        [button(t.gettext("No, keep it"), "forget:no")],
    )
    await show(update, text, markup)


async def _confirmed(update: Update, context: OporaContext) -> None:
    """Confirmed: ask about open cases first, if there are any; otherwise erase at once."""
    services = context.services
    cases = await store.client_cases(services.database, context.person.subject)
    open_cases = [case for case in cases if case.status in store.OPEN]
    if not open_cases:
        await _erase(update, context, withdraw=False)
        return
    t = context.t
    codes = ", ".join(case.code for case in open_cases)
    text = t.ngettext(
        "You have an open case: {codes}. Should it be withdrawn too? Withdrawing deletes what "
        "you wrote and sent; only an anonymous count remains. If you keep it, the paralegal "
        "goes on with it but can no longer reach you.",
        "You have open cases: {codes}. Should they be withdrawn too? Withdrawing deletes what "
        "you wrote and sent; only an anonymous count remains. If you keep them, the paralegal "
        "goes on with them but can no longer reach you.",
        len(open_cases),
    ).format(codes=codes)
    await show(
        update,
        text,
        keyboard(
            [button("🗑 " + t.gettext("Withdraw and delete them"), "forget:withdraw")],
            [button(t.gettext("Keep them with the paralegal"), "forget:keep")],
            [button(t.gettext("No, do not erase anything"), "forget:no")],
        ),
    )


async def _case_choice(update: Update, context: OporaContext) -> None:
    await _erase(update, context, withdraw=chosen(update) == "withdraw")


async def _erase(update: Update, context: OporaContext, *, withdraw: bool) -> None:
    """Erase the profile, every stored state, the chat's notes and the links to cases."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    if update.callback_query is not None:
        await acknowledge(update.callback_query)
    t = context.t
    services = context.services
    subject = context.person.subject
    staff = services.catalogs.get(services.settings.paralegals.language)
    if withdraw:
        for case in await store.client_cases(services.database, subject):
            if case.status not in store.OPEN:
                continue
            case = await store.withdraw(services.database, case.code, subject)
            await tell_withdrawn(context, case)
    for case in await store.unlink_client(services.database, subject):
        if case.status in store.OPEN:
            await tell_topic(
                context,
                case,
                "🔒 "
                + staff.gettext(
                    "The client erased their data: case {code} stays with you, but they can no "
                    "longer be reached through Opora."
                ).format(code=case.code),
            )
    # The chat itself: what Telegram still lets the bot delete, then every note of it.
    await delete_due(context, await services.messages.all_of(subject))
    await services.messages.forget(subject)
    await erase_profile(database=services.database, subject=subject)
    await services.persistence.forget_person(
        user.id, chat.id, [CONVERSATION_NAME, REPORT_CONVERSATION]
    )
    # Drop the in-memory copy too, or the next persistence flush would write it back.
    context.application.drop_user_data(user.id)
    if context.chat_data is not None:
        context.chat_data.clear()  # a search in progress
    text = t.gettext(
        "Done. Opora no longer keeps anything about you. Telegram does not let bots delete "
        "messages older than 48 hours: to remove this chat from your phone completely, delete "
        "it in Telegram (press and hold the chat, then Delete). Send /start if you want to use "
        "Opora again."
    )
    # Not noted for /wipe: no trace of the person may be written after this point.
    with untracked():
        await send(update, text)


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
        CallbackQueryHandler(_case_choice, pattern=r"^forget:(withdraw|keep)$"),
        CallbackQueryHandler(_kept, pattern=r"^forget:no$"),
    ]
