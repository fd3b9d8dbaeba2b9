"""Safety on a phone that may be taken: /wipe, disappearing messages, and the guard in front.

- The guard sees every update first. It notes each message of a private chat (so it can be
  deleted later), keeps the bot out of groups that are not a paralegal workspace, answers edits,
  and holds back a person who sends faster than anyone types (one polite message, no NLU call).
- /wipe (and the button under sensitive answers) deletes every message of the last 48 hours in
  the chat, both sides, and says honestly what the person has to do about older ones.
- Disappearing messages: each message is deleted a chosen time after it was sent. The schedule
  lives in the database (bot.chatlog), so a restart does not forget it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, CommandHandler, TypeHandler

from bot.chatlog import Due
from bot.context import Handlers, OporaContext
from bot.errors import translator_for
from bot.i18n import Translator
from bot.observe import ignore
from bot.people import save_improve_nlu
from bot.replies import acknowledge, button, keyboard, send, show
from bot.usage import SAMPLE_DAYS

__all__ = [
    "delete_due",
    "duration",
    "guard_handlers",
    "handlers",
    "safety_rows",
    "sweep",
    "wipe_markup_row",
]

log = logging.getLogger(__name__)

# Telegram deletes at most 100 messages per deleteMessages call.
DELETE_BATCH = 100
# The note that confirms a wipe disappears by itself after this long.
WIPE_NOTE_SECONDS = 120


def _stop(context: OporaContext, reason: str) -> None:
    ignore(context.services.ledger, reason)
    raise ApplicationHandlerStop


async def _guard(update: object, context: OporaContext) -> None:
    """Runs first for every update; stops the ones no feature should see."""
    if not isinstance(update, Update):
        return
    services = context.services
    chat = update.effective_chat
    if chat is None:
        _stop(context, "no_chat")  # inline queries, poll answers: Opora offers none
        return
    if chat.type != "private":
        if chat.id in services.settings.paralegals.groups.values():
            return  # a paralegals' workspace: bot.case_desk handles it
        await _not_a_workspace(update, context)
        return
    message = update.message
    if message is not None:
        await services.messages.record(chat.id, message.message_id)
    if update.edited_message is not None:
        t = translator_for(update, context)
        await send(
            update,
            t.gettext(
                "I do not see changes to messages already sent. If you changed something "
                "important, please send it again as a new message."
            ),
        )
        raise ApplicationHandlerStop
    if message is None and update.callback_query is None:
        _stop(context, "membership" if update.my_chat_member else "other_update")
        return
    user = update.effective_user
    if user is None:
        _stop(context, "no_user")
        return
    # Typed messages cost the most (they may reach the NLU); button presses and the photos of
    # one album are cheap, so a fast hand on a form is never held back.
    cost = 1.0 if message is not None and not message.media_group_id else 0.25
    limiter = services.rate_limiter
    if limiter.take(user.id, cost):
        return
    if not limiter.first_refusal(user.id):
        if update.callback_query is not None:
            await acknowledge(update.callback_query)
            raise ApplicationHandlerStop
        _stop(context, "rate_limited")
    t = translator_for(update, context)
    text = t.gettext(
        "You are sending messages faster than I can read them. Please wait {seconds} seconds, "
        "then send again: I did not read what you sent in the meantime."
    ).format(seconds=limiter.wait_seconds(user.id))
    if update.callback_query is not None:
        await acknowledge(update.callback_query, text, show_alert=True)
    else:
        await send(update, text)
    raise ApplicationHandlerStop


async def _not_a_workspace(update: Update, context: OporaContext) -> None:
    """Someone added the bot to a group: it says once where to find it, and leaves."""
    member = update.my_chat_member
    chat = update.effective_chat
    assert chat is not None
    joined = member is not None and member.new_chat_member.status in (
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.ADMINISTRATOR,
    )
    if not joined:
        _stop(context, "group")
    t = translator_for(update, context)
    try:
        await chat.send_message(
            t.gettext(
                "Opora only talks in private chats, so that nobody else sees what you ask. "
                "Write to me directly. I am leaving this group."
            )
        )
        await chat.leave()
    except TelegramError as exc:
        log.warning("Could not leave a group: %s", type(exc).__name__)
    raise ApplicationHandlerStop


def guard_handlers() -> Handlers:
    return [TypeHandler(Update, _guard)]


# ---------------------------------------------------------------------------- deleting messages
async def delete_due(context: OporaContext, due: Due) -> int:
    """Delete the given messages in Telegram; returns how many were asked to go."""
    deleted = 0
    for chat_id, message_ids in due.chats.items():
        for start in range(0, len(message_ids), DELETE_BATCH):
            batch = message_ids[start : start + DELETE_BATCH]
            try:
                await context.bot.delete_messages(chat_id, batch)
                deleted += len(batch)
            except (BadRequest, Forbidden) as exc:
                # Already gone, or the person blocked the bot: nothing more can be done.
                log.info("Messages could not be deleted: %s", type(exc).__name__)
    return deleted


async def sweep(context: OporaContext) -> None:
    """The job: delete disappearing messages whose time has come, and old notes."""
    messages = context.services.messages
    try:
        due = await messages.due()
        if due.rows:
            await delete_due(context, due)
            await messages.drop(due.rows)
        await messages.expire()
    except NetworkError as exc:
        # Telegram unreachable: the notes stay, the next sweep tries again.
        log.warning("Disappearing messages not deleted yet: %s", type(exc).__name__)


async def _wipe(update: Update, context: OporaContext) -> None:
    """/wipe or the button: delete the last 48 hours of this chat."""
    t = context.t
    services = context.services
    if update.callback_query is not None:
        await acknowledge(update.callback_query)
    due = await services.messages.all_of(context.person.subject)
    deleted = await delete_due(context, due)
    await services.messages.drop(due.rows)
    text = "🧹 " + t.ngettext(
        "{n} message from the last 48 hours was deleted.",
        "{n} messages from the last 48 hours were deleted.",
        deleted,
    ).format(n=deleted)
    text += "\n\n" + t.gettext(
        "Telegram does not let bots delete older messages. To remove everything, delete the "
        "whole chat yourself: in your chat list, press and hold this chat (on iPhone: swipe "
        "it left), choose Delete, and tick “also delete for Opora” if Telegram offers it."
    )
    text += "\n\n" + t.gettext("This note disappears in two minutes.")
    note = await send(update, text)
    if note is not None:
        await services.messages.expire_newest(context.person.subject, WIPE_NOTE_SECONDS)


def wipe_markup_row(t: Translator) -> list[InlineKeyboardButton]:
    return [button("🧹 " + t.gettext("Clear this chat"), "safety:wipe")]


# ---------------------------------------------------------------------------- disappearing mode
def duration(t: Translator, seconds: int) -> str:
    """ "10 minutes", "1 hour"… in the person's language (each unit spelled out for extraction)."""
    if seconds % 86400 == 0:
        n = seconds // 86400
        return t.ngettext("{n} day", "{n} days", n).format(n=n)
    if seconds % 3600 == 0:
        n = seconds // 3600
        return t.ngettext("{n} hour", "{n} hours", n).format(n=n)
    if seconds % 60 == 0:
        n = seconds // 60
        return t.ngettext("{n} minute", "{n} minutes", n).format(n=n)
    return t.ngettext("{n} second", "{n} seconds", seconds).format(n=seconds)


def safety_rows(
    t: Translator, period: int | None, improve: bool = False
) -> list[list[InlineKeyboardButton]]:
    """The buttons under the privacy notice."""
    state = duration(t, period) if period else t.gettext("off")
    improving = (
        t.gettext("Help improve Opora: yes") if improve else t.gettext("Help improve Opora: no")
    )
    return [
        [button("🧹 " + t.gettext("Clear this chat now"), "safety:wipe")],
        [
            button(
                "⏱ " + t.gettext("Disappearing messages: {state}").format(state=state),
                "safety:disappear",
            )
        ],
        [
            button(
                "🛠 " + improving,
                "safety:improve",
            )
        ],
        [button("🗑 " + t.gettext("Erase my data"), "menu:erase")],
        [button("☰ " + t.gettext("Main menu"), "menu:main")],
    ]


def _choices_markup(
    t: Translator, choices: Iterable[int], period: int | None
) -> InlineKeyboardMarkup:
    rows = [
        [
            button(
                ("✅ " if seconds == period else "") + duration(t, seconds), f"safety:dis:{seconds}"
            )
        ]
        for seconds in choices
    ]
    rows.append([button(("✅ " if not period else "") + t.gettext("Off"), "safety:dis:off")])
    return keyboard(*rows)


async def _disappear_menu(update: Update, context: OporaContext, note: str | None = None) -> None:
    t = context.t
    services = context.services
    period = await services.messages.period(context.person.subject)
    text = t.gettext(
        "With disappearing messages on, every message in this chat, yours and mine, is deleted "
        "the chosen time after it was sent. Messages of a case you send to a paralegal are "
        "copied to them first, so they are not lost. Delete after:"
    )
    markup = _choices_markup(t, services.settings.safety.disappear_choices_seconds, period)
    query = update.callback_query
    if note is not None and query is not None:
        await acknowledge(query, note)  # said on top; then the menu as it is now
        await send(update, "⏱ " + text, markup)
        return
    await show(update, "⏱ " + text, markup)


async def _disappear_chosen(update: Update, context: OporaContext) -> None:
    assert update.callback_query is not None and update.callback_query.data
    t = context.t
    services = context.services
    value = update.callback_query.data.rsplit(":", 1)[1]
    choices = services.settings.safety.disappear_choices_seconds
    seconds = None if value == "off" else int(value)
    if seconds is not None and seconds not in choices:
        await _disappear_menu(update, context, t.gettext("This button is out of date."))
        return
    await services.messages.set_period(context.person.subject, seconds, context.person.language)
    if seconds:
        text = t.gettext(
            "⏱ Disappearing messages are on: each message in this chat is deleted {time} after "
            "it was sent, including the ones from the last 48 hours."
        ).format(time=duration(t, seconds))
    else:
        text = t.gettext("Disappearing messages are off. Messages stay until you delete them.")
    await show(update, text, keyboard(*safety_rows(t, seconds, context.person.improve_nlu)))


async def _improve_menu(update: Update, context: OporaContext) -> None:
    """What "help improve Opora" keeps, and the choice."""
    t = context.t
    on = context.person.improve_nlu
    text = t.gettext(
        "When Opora does not understand a message, the editors can teach it, if they see the "
        "words. If you agree, such messages are kept for {days} days, encrypted and without "
        "anything that says who wrote them, then deleted. Everything else stays as before."
    ).format(days=SAMPLE_DAYS)
    rows = [
        [button(("✅ " if on else "") + t.gettext("Yes, keep such messages"), "safety:improve:on")],
        [button(("✅ " if not on else "") + t.gettext("No, thank you"), "safety:improve:off")],
    ]
    await show(update, "🛠 " + text, keyboard(*rows))


async def _improve_chosen(update: Update, context: OporaContext) -> None:
    assert update.callback_query is not None and update.callback_query.data
    t = context.t
    improve = update.callback_query.data.endswith(":on")
    await save_improve_nlu(
        database=context.services.database, person=context.person, improve=improve
    )
    text = (
        t.gettext("Thank you. Messages Opora does not understand are kept for the editors.")
        if improve
        else t.gettext("Done. Messages Opora does not understand are not kept.")
    )
    period = await context.services.messages.period(context.person.subject)
    await show(update, text, keyboard(*safety_rows(t, period, improve)))


def handlers() -> Handlers:
    return [
        CommandHandler("wipe", _wipe),
        CommandHandler("disappear", _disappear_menu),
        CallbackQueryHandler(_wipe, pattern=r"^safety:wipe$"),
        CallbackQueryHandler(_disappear_menu, pattern=r"^safety:disappear$"),
        CallbackQueryHandler(_disappear_chosen, pattern=r"^safety:dis:(off|\d{1,6})$"),
        CallbackQueryHandler(_improve_menu, pattern=r"^safety:improve$"),
        CallbackQueryHandler(_improve_chosen, pattern=r"^safety:improve:(on|off)$"),
    ]
