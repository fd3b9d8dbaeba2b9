"""The paralegals' workspace: a private supergroup with one forum topic per case.

A new case opens a topic named by its code, type and town, with a card and buttons (Take,
Status, Outcome). Messages in the topic are copied to the client ("Paralegal: …"); messages
starting with "!" and /note stay internal. Staff never see the client's name, username or id.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import logging
from typing import Any

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.cases import store
from bot.cases.categories import (
    AGE_BANDS,
    GENDERS,
    GROUPS,
    PERPETRATORS,
    SERVICES_GIVEN,
    STATUS_LABELS,
    VIOLATIONS,
)
from bot.cases.store import CaseView
from bot.context import Handlers, OporaContext
from bot.i18n import N_, Translator, country_name
from bot.observe import ignore
from bot.replies import acknowledge, button, keyboard

__all__ = ["announce_case", "handlers", "notify_client", "workspace_for"]

log = logging.getLogger(__name__)
DESK_STATUSES = ("in_progress", "waiting", "referred", "resolved", "closed")
OUTCOMES = {
    "full": N_("Resolved fully"),
    "partial": N_("Resolved partially"),
    "none": N_("Not resolved"),
}


def workspace_for(context: OporaContext, country: str | None, language: str = "") -> int | None:
    """The case's workspace: its country's, else its language's, else the default one."""
    groups = context.services.settings.paralegals.groups
    return groups.get(country or "") or groups.get(language) or groups.get("default")


def _staff_t(context: OporaContext) -> Translator:
    return context.services.catalogs.get(context.services.settings.paralegals.language)


def _labels(t: Translator, options: dict[str, str], codes: list[str]) -> str:
    return ", ".join(t.gettext(options[c]) for c in codes if c in options) or "—"


def case_card(t: Translator, case: CaseView, now: dt.datetime) -> str:
    """Everything a paralegal needs, and nothing that identifies the client."""
    hours = max(0, int((now - case.created_at).total_seconds() // 3600))
    place = ", ".join(
        x for x in (case.city, country_name(case.country, t.lang) if case.country else None) if x
    )
    when = case.happened_on.isoformat() if case.happened_on else (case.happened or "—")
    contact = {
        "bot": t.gettext("through the bot (write in this topic)"),
        "phone": t.gettext("by phone: {phone}").format(phone=html.escape(case.phone or "")),
        "none": t.gettext("do not contact (documentation only)"),
    }[case.contact]
    lines = [
        f"📁 <b>{case.code}</b> · "
        + (t.gettext("report") if case.kind == "report" else t.gettext("consultation"))
        + (" · 🚨 <b>" + t.gettext("URGENT") + "</b>" if case.urgent else ""),
        t.gettext("Status: {status}").format(status=t.gettext(STATUS_LABELS[case.status]))
        + (" · " + html.escape(case.taken_by_name) if case.taken_by_name else ""),
    ]
    if case.kind == "report":
        lines += [
            t.gettext("What happened: {value}").format(
                value=_labels(t, VIOLATIONS, case.violations)
            ),
            t.gettext("Who did it: {value}").format(
                value=_labels(t, PERPETRATORS, case.perpetrators)
            ),
            t.gettext("When: {value}").format(value=html.escape(when)),
            t.gettext("Where: {value}").format(value=html.escape(place or "—")),
            t.gettext("About the person: {value}").format(
                value="; ".join(
                    [
                        _labels(t, GROUPS, case.groups),
                        t.gettext(GENDERS[case.gender]) if case.gender in GENDERS else "—",
                        t.gettext(AGE_BANDS[case.age_band]) if case.age_band in AGE_BANDS else "—",
                    ]
                )
            ),
        ]
    lines += [
        t.gettext("Contact: {value}").format(value=contact),
        t.gettext("Consent: contact {contact}, anonymised advocacy use {advocacy}").format(
            contact="✅" if case.consent_contact else "❌",
            advocacy="✅" if case.consent_advocacy else "❌",
        ),
        t.gettext("Submitted {hours} h ago").format(hours=hours),
        t.gettext("Services given: {value}").format(
            value=_labels(t, SERVICES_GIVEN, case.services_given)
        ),
        "",
        "<b>" + t.gettext("In their words:") + "</b>",
        html.escape(case.story or "—")[:2500],
    ]
    if case.evidence:
        lines.append(
            t.gettext("Evidence: {count} file(s), copied below.").format(count=len(case.evidence))
        )
    return "\n".join(lines)


def card_buttons(t: Translator, case: CaseView) -> Any:
    rows = []
    if case.taken_by is None and case.status in store.OPEN:
        rows.append([button("🙋 " + t.gettext("Take"), f"desk:take:{case.code}")])
    rows.append(
        [
            button("🔄 " + t.gettext("Status"), f"desk:status:{case.code}"),
            button("🏁 " + t.gettext("Outcome"), f"desk:out:{case.code}"),
            button("📝 " + t.gettext("Note"), f"desk:note:{case.code}"),
        ]
    )
    return keyboard(*rows)


async def announce_case(context: OporaContext, case: CaseView) -> None:
    """Open the case's topic in its workspace, post the card and copy the evidence."""
    workspace = workspace_for(context, case.country, case.language)
    if workspace is None:
        log.warning("Case stored but no paralegal workspace is configured (paralegals.groups)")
        return
    t = _staff_t(context)
    bot = context.bot
    title = " · ".join(
        x
        for x in (
            case.code,
            t.gettext(VIOLATIONS[case.violations[0]])
            if case.violations
            else t.gettext("consultation"),
            case.city,
        )
        if x
    )[:128]
    try:
        topic = await bot.create_forum_topic(workspace, title)
        thread = topic.message_thread_id
        card = await bot.send_message(
            workspace,
            case_card(t, case, dt.datetime.now(dt.UTC)),
            message_thread_id=thread,
            parse_mode="HTML",
            reply_markup=card_buttons(t, case),
        )
        await store.attach_topic(
            context.services.database, case.id, workspace, thread, card.message_id
        )
        for item in case.evidence:
            if case.client_chat and item.get("message_id"):
                await bot.copy_message(
                    workspace, case.client_chat, int(item["message_id"]), message_thread_id=thread
                )
        if case.urgent:
            await bot.send_message(
                workspace,
                "🚨 " + t.gettext("Urgent case {code}: please take it now.").format(code=case.code),
                message_thread_id=thread,
            )
    except TelegramError as exc:
        # The case is stored; the re-announce job retries the workspace later.
        log.error("Could not open the case topic: %s", type(exc).__name__)


async def tell_topic(context: OporaContext, case: CaseView, text: str) -> None:
    """A system message in the case's topic (staff language is the caller's)."""
    if case.workspace is None or case.topic is None:
        return
    try:
        await context.bot.send_message(case.workspace, text, message_thread_id=case.topic)
    except TelegramError as exc:
        log.warning("Could not tell the workspace: %s", type(exc).__name__)


async def tell_withdrawn(context: OporaContext, case: CaseView) -> None:
    """The client withdrew the case: the topic is told its content is gone."""
    text = _staff_t(context).gettext("The client withdrew case {code}; its content is deleted.")
    await tell_topic(context, case, "🗑 " + text.format(code=case.code))


async def notify_client(
    context: OporaContext, case: CaseView, text: str, markup: Any = None
) -> None:
    """A message to the client, in their language (the caller translates)."""
    if case.client_chat is None or case.contact == "none":
        return
    try:
        await context.bot.send_message(
            case.client_chat, text, parse_mode="HTML", reply_markup=markup
        )
    except TelegramError as exc:
        log.warning("Could not reach a client: %s", type(exc).__name__)


def _client_t(context: OporaContext, case: CaseView) -> Translator:
    return context.services.catalogs.get(case.language)


async def _refresh_card(context: OporaContext, case: CaseView) -> None:
    if case.workspace is None or case.card_message is None:
        return
    t = _staff_t(context)
    # Unchanged or too old to edit: the topic still has everything.
    with contextlib.suppress(TelegramError):
        await context.bot.edit_message_text(
            case_card(t, case, dt.datetime.now(dt.UTC)),
            chat_id=case.workspace,
            message_id=case.card_message,
            parse_mode="HTML",
            reply_markup=card_buttons(t, case),
        )


def _status_news(t: Translator, case: CaseView) -> str:
    """What the client is told when their case changes status."""
    status = t.gettext(STATUS_LABELS[case.status])
    return "🔔 " + t.gettext("Case {code}: {status}").format(code=case.code, status=status)


def _actor(update: Update) -> tuple[int, str]:
    user = update.effective_user
    assert user is not None
    return user.id, user.first_name or "Paralegal"


async def _desk_button(update: Update, context: OporaContext) -> None:
    """Take, Status and Outcome buttons on a case card."""
    query = update.callback_query
    assert query is not None and query.data
    _, action, code, *rest = query.data.split(":")
    t = _staff_t(context)
    database = context.services.database
    who, name = _actor(update)
    try:
        case = await store.by_code(database, code)
    except store.CaseNotFound:
        await acknowledge(query, t.gettext("This case no longer exists."), show_alert=True)
        return
    if action == "take":
        try:
            case = await store.take(database, code, who, name)
        except store.AlreadyTaken as exc:
            await acknowledge(
                query, t.gettext("Already taken by {name}.").format(name=exc.name), show_alert=True
            )
            return
        await acknowledge(query, t.gettext("The case is yours."))
        await _refresh_card(context, case)
        ct = _client_t(context, case)
        await notify_client(
            context,
            case,
            _status_news(ct, case),
        )
        return
    if action == "status":
        await acknowledge(query)
        rows = [[button(t.gettext(STATUS_LABELS[s]), f"desk:st:{code}:{s}")] for s in DESK_STATUSES]
        await query.edit_message_reply_markup(keyboard(*rows))
        return
    if action == "st" and rest and rest[0] in DESK_STATUSES:
        case = await store.set_status(database, code, rest[0], f"paralegal:{who}")
        await acknowledge(query, t.gettext(STATUS_LABELS[case.status]))
        await _refresh_card(context, case)
        ct = _client_t(context, case)
        markup = None
        if case.status in ("resolved", "closed"):
            markup = keyboard([button("⭐" * n, f"sat:{case.code}:{n}") for n in range(1, 6)])
        text = _status_news(ct, case)
        if markup is not None and case.outcome in OUTCOMES:
            text += " · " + ct.gettext(OUTCOMES[case.outcome])
        if markup is not None:
            text += "\n\n" + ct.gettext("How helpful was this for you? 1 = not at all, 5 = very.")
        await notify_client(context, case, text, markup)
        return
    if action == "out":
        await acknowledge(query)
        rows = [
            [button(t.gettext(label), f"desk:o:{code}:{key}")] for key, label in OUTCOMES.items()
        ]
        rows.append(
            [
                button(t.gettext("Qualified as a violation: yes"), f"desk:q:{code}:yes"),
                button(t.gettext("no"), f"desk:q:{code}:no"),
            ]
        )
        rows.extend(
            [
                button(
                    ("✅ " if key in case.services_given else "") + t.gettext(label),
                    f"desk:sv:{code}:{key}",
                )
            ]
            for key, label in SERVICES_GIVEN.items()
        )
        await query.edit_message_reply_markup(keyboard(*rows))
        return
    if action == "note":
        text = t.gettext(
            "Write a note in this topic starting with ! (or /note text): it stays here."
        )
        await acknowledge(query, text, show_alert=True)
        return
    if action == "o" and rest and rest[0] in OUTCOMES:
        case = await store.set_outcome(database, code, f"paralegal:{who}", outcome=rest[0])
    elif action == "q" and rest and rest[0] in ("yes", "no"):
        case = await store.set_outcome(
            database, code, f"paralegal:{who}", qualified=rest[0] == "yes"
        )
    elif action == "sv" and rest and rest[0] in SERVICES_GIVEN:
        case = await store.toggle_service(database, code, f"paralegal:{who}", rest[0])
    await acknowledge(query, t.gettext("Saved."))
    await _refresh_card(context, case)


async def _topic_message(update: Update, context: OporaContext) -> None:
    """A paralegal writes in a case topic: to the client, or an internal note with "!"."""
    message = update.effective_message
    assert message is not None and message.chat is not None
    ledger = context.services.ledger
    if not message.message_thread_id or message.from_user is None or message.from_user.is_bot:
        ignore(ledger, "workspace_chat")  # staff talking among themselves
        return
    case = await store.by_topic(
        context.services.database, message.chat.id, message.message_thread_id
    )
    if case is None:
        ignore(ledger, "workspace_chat")
        return
    who = message.from_user.id
    database = context.services.database
    text = message.text or ""
    if text.startswith("!"):
        await store.note_event(database, case.id, f"paralegal:{who}", "note", text[1:].strip())
        ignore(ledger, "internal_note")  # kept on the case, never sent
        return
    if case.status not in store.OPEN or case.contact != "bot":
        await message.reply_text(
            _staff_t(context).gettext(
                "Not sent: the client cannot be reached through the bot for this case."
            )
        )
        return
    await _relay_to_client(context, case, message)
    await store.note_event(database, case.id, f"paralegal:{who}", "relay_out")


async def _relay_to_client(context: OporaContext, case: CaseView, message: Message) -> None:
    ct = _client_t(context, case)
    header = "💬 <b>" + ct.gettext("Paralegal") + "</b>"
    assert case.client_chat is not None
    if message.text:
        await context.bot.send_message(
            case.client_chat,
            f"{header} ({case.code}):\n{html.escape(message.text)}",
            parse_mode="HTML",
        )
    else:
        await context.bot.send_message(
            case.client_chat, f"{header} ({case.code}):", parse_mode="HTML"
        )
        await context.bot.copy_message(case.client_chat, message.chat_id, message.message_id)


async def _note_command(update: Update, context: OporaContext) -> None:
    """/note text: an internal note on the case of this topic."""
    message = update.effective_message
    assert message is not None
    case = await store.by_topic(
        context.services.database, message.chat_id, message.message_thread_id or 0
    )
    if case is None or message.from_user is None:
        return
    note = " ".join(context.args or [])
    await store.note_event(
        context.services.database, case.id, f"paralegal:{message.from_user.id}", "note", note
    )


async def _cases_command(update: Update, context: OporaContext) -> None:
    """/cases in a workspace: open cases, oldest first; /case CODE: one card."""
    message = update.effective_message
    assert message is not None
    t = _staff_t(context)
    now = dt.datetime.now(dt.UTC)
    if context.args:
        try:
            case = await store.by_code(context.services.database, context.args[0])
        except store.CaseNotFound:
            await message.reply_text(t.gettext("No case with that code."))
            return
        if case.workspace != message.chat_id:
            await message.reply_text(t.gettext("No case with that code."))
            return
        await message.reply_text(
            case_card(t, case, now), parse_mode="HTML", reply_markup=card_buttons(t, case)
        )
        return
    cases = await store.open_cases(context.services.database, message.chat_id)
    if not cases:
        await message.reply_text(t.gettext("No open cases."))
        return
    lines = [
        f"{'🚨 ' if c.urgent else ''}<b>{c.code}</b> · {t.gettext(STATUS_LABELS[c.status])} · "
        + t.gettext("{hours} h").format(hours=int((now - c.created_at).total_seconds() // 3600))
        for c in cases
    ]
    await message.reply_text("\n".join(lines), parse_mode="HTML")


async def reannounce(context: OporaContext) -> None:
    """Job: unclaimed cases older than the configured time are announced again."""
    settings = context.services.settings.paralegals
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=settings.reannounce_minutes)
    t = _staff_t(context)
    for case in await store.open_cases(context.services.database):
        if case.taken_by is not None or case.workspace is None or case.topic is None:
            continue
        if (case.extra.get("announced_at") or case.created_at) > cutoff:
            continue
        await store.mark_announced(context.services.database, case.id)
        try:
            await context.bot.send_message(
                case.workspace,
                "⏰ "
                + t.gettext("Case {code} is still waiting for a paralegal.").format(code=case.code),
                message_thread_id=case.topic,
            )
        except TelegramError as exc:
            log.warning("Could not re-announce a case: %s", type(exc).__name__)


def handlers(workspaces: list[int]) -> Handlers:
    in_workspace = filters.Chat(workspaces) if workspaces else filters.Chat([0])
    return [
        CallbackQueryHandler(
            _desk_button,
            pattern=r"^desk:(take|status|st|out|o|q|sv|note):[A-Z0-9]{3}-[A-Z0-9]{3}(:[a-z_]+)?$",
        ),
        CommandHandler("note", _note_command, filters=in_workspace),
        CommandHandler(["cases", "case"], _cases_command, filters=in_workspace),
        MessageHandler(in_workspace & ~filters.COMMAND, _topic_message),
    ]
