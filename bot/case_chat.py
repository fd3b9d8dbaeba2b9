"""The client's side of a case: writing to the paralegal, /case, /leave, withdrawing, rating.

While a person is in a case chat (user_data["case_chat"]), everything they send goes to the
paralegal's topic, copied (never forwarded), and not to the NLU, until /leave.
"""

from __future__ import annotations

import contextlib
import html
import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.case_desk import announce_case, tell_withdrawn
from bot.cases import store
from bot.cases.categories import STATUS_LABELS
from bot.context import Handlers, OporaContext
from bot.main_menu import main_menu_markup
from bot.replies import button, chosen, keyboard, send, show

__all__ = ["handlers"]

log = logging.getLogger(__name__)


class _InCaseChat(filters.MessageFilter):
    """Messages of people who are in a case chat right now (checked in their user_data)."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        super().__init__(name="in_case_chat")
        self.application = application

    def filter(self, message: Any) -> bool:
        user = message.from_user
        if user is None or message.chat.type != "private":
            return False
        return bool(self.application.user_data.get(user.id, {}).get("case_chat"))


async def _relay(update: Update, context: OporaContext) -> None:
    """A message in the case chat: copied into the case's topic."""
    message = update.effective_message
    assert message is not None and context.user_data is not None
    code = context.user_data.get("case_chat")
    t = context.t
    try:
        case = await store.by_code(context.services.database, str(code), context.person.subject)
    except store.CaseNotFound:
        context.user_data.pop("case_chat", None)
        await send(update, t.gettext("That case is no longer open. /case shows your cases."))
        return
    if case.status not in store.OPEN:
        context.user_data.pop("case_chat", None)
        await send(
            update,
            t.gettext(
                "Case {code} is closed. /case shows your cases; /report opens a new one."
            ).format(code=case.code),
        )
        return
    if case.workspace is None or case.topic is None:
        await announce_case(context, case)
        case = await store.by_code(context.services.database, case.code, context.person.subject)
    if case.workspace is None or case.topic is None:
        await send(
            update,
            t.gettext(
                "Saved with your case; the paralegals will see it as soon as they are connected."
            ),
        )
        return
    try:
        await context.bot.copy_message(
            case.workspace, message.chat_id, message.message_id, message_thread_id=case.topic
        )
    except TelegramError as exc:
        log.warning("Could not relay to the workspace: %s", type(exc).__name__)
        await send(
            update,
            t.gettext("Sorry, that did not reach the paralegal. Please try again in a moment."),
        )
        return
    await store.note_event(context.services.database, case.id, "client", "relay_in")
    attachment = message.effective_attachment
    items = list(attachment) if isinstance(attachment, (list, tuple)) else [attachment]
    if message.text is None and items and items[-1] is not None:
        # Evidence sent later is kept with the case, like evidence sent in the report.
        item = items[-1]
        await store.add_evidence(
            context.services.database,
            case.code,
            context.person.subject,
            {
                "kind": type(item).__name__,
                "file_id": str(getattr(item, "file_id", "")),
                "message_id": str(message.message_id),
            },
        )


async def _leave(update: Update, context: OporaContext) -> None:
    """/leave: stop sending messages to the paralegal."""
    assert context.user_data is not None
    code = context.user_data.pop("case_chat", None)
    t = context.t
    text = (
        t.gettext(
            "You left case {code}. Your messages now go to Opora again; /case brings you back."
        ).format(code=code)
        if code
        else t.gettext("You are not in a case chat.")
    )
    await send(update, text, main_menu_markup(t))


async def _my_cases(update: Update, context: OporaContext) -> None:
    """/case: the person's cases and their status, with what they can do."""
    t = context.t
    cases = await store.client_cases(context.services.database, context.person.subject)
    if not cases:
        await send(
            update,
            t.gettext("You have no cases. /report to report a violation."),
            main_menu_markup(t),
        )
        return
    for case in cases[:10]:
        text = f"📁 <b>{case.code}</b> · " + html.escape(t.gettext(STATUS_LABELS[case.status]))
        rows = []
        if case.status in store.OPEN:
            rows.append(
                [button("✍️ " + t.gettext("Write to the paralegal"), f"mycase:chat:{case.code}")]
            )
            rows.append([button("🗑 " + t.gettext("Withdraw"), f"mycase:withdraw:{case.code}")])
            advocacy = "✅" if case.consent_advocacy else "❌"
            rows.append(
                [
                    button(
                        t.gettext("Anonymised use in advocacy: {state}").format(state=advocacy),
                        f"mycase:advocacy:{case.code}",
                    )
                ]
            )
        await send(update, text, keyboard(*rows) if rows else None)


async def _my_case_button(update: Update, context: OporaContext) -> None:
    """Write to the paralegal, withdraw (with confirmation), or rate a closed case."""
    assert context.user_data is not None
    action, _, code = chosen(update).partition(":")
    t = context.t
    database = context.services.database
    try:
        case = await store.by_code(database, code, context.person.subject)
    except store.CaseNotFound:
        await show(update, t.gettext("That case is no longer there."))
        return
    if action == "leave":
        context.user_data.pop("case_chat", None)
        await show(
            update,
            t.gettext("You left case {code}. /case brings you back.").format(code=case.code),
            main_menu_markup(t),
        )
    elif action == "chat" and case.status in store.OPEN:
        context.user_data["case_chat"] = case.code
        await show(
            update,
            t.gettext(
                "Everything you write now goes to the paralegal on case {code}. /leave stops that."
            ).format(code=case.code),
        )
    elif action == "advocacy" and case.status in store.OPEN:
        case = await store.set_consent(
            database, case.code, context.person.subject, not case.consent_advocacy
        )
        state = "✅" if case.consent_advocacy else "❌"
        await show(
            update, t.gettext("Saved. Anonymised use in advocacy: {state}").format(state=state)
        )
    elif action == "withdraw":
        await show(
            update,
            t.gettext(
                "Withdraw case {code}? What you wrote and sent is deleted; only an anonymous "
                "count remains."
            ).format(code=case.code),
            keyboard(
                [button(t.gettext("Yes, withdraw"), f"mycase:sure:{case.code}")],
                [button(t.gettext("No"), "menu:main")],
            ),
        )
    elif action == "sure":
        case = await store.withdraw(database, case.code, context.person.subject)
        if context.user_data.get("case_chat") == case.code:
            context.user_data.pop("case_chat")
        await show(
            update,
            t.gettext("Case {code} is withdrawn and its content deleted.").format(code=case.code),
        )
        await tell_withdrawn(context, case)
    else:
        await show(update, t.gettext("That case is closed."))


async def _rated(update: Update, context: OporaContext) -> None:
    """The satisfaction question after a case is closed."""
    code, _, score = chosen(update).partition(":")
    with contextlib.suppress(store.CaseNotFound):
        await store.set_satisfaction(
            context.services.database, code, context.person.subject, int(score)
        )
    await show(update, context.t.gettext("Thank you. This helps the paralegals do better."))


def handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> Handlers:
    in_case_chat = _InCaseChat(application)
    return [
        CommandHandler("leave", _leave),
        CommandHandler("case", _my_cases, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(
            _my_case_button,
            pattern=r"^mycase:(chat|leave|withdraw|sure|advocacy):[A-Z0-9]{3}-[A-Z0-9]{3}$",
        ),
        CallbackQueryHandler(_rated, pattern=r"^sat:[A-Z0-9]{3}-[A-Z0-9]{3}:[1-5]$"),
        MessageHandler(in_case_chat & ~filters.COMMAND, _relay),
    ]
