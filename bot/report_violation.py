"""Report a rights violation, or ask for a person: a persistent step-by-step conversation.

Every step has Back, Skip (where optional) and Cancel; the draft lives in user_data (persisted,
encrypted), so a restart mid-report loses nothing. Submitting creates a case with a code and
hands it to the paralegal workspace (case_desk.py). Diagram: report_violation.mmd.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
import warnings
from enum import StrEnum
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.case_desk import announce_case
from bot.cases import store
from bot.cases.categories import AGE_BANDS, GENDERS, GROUPS, PERPETRATORS, VIOLATIONS, WHEN
from bot.context import Handlers, OporaContext
from bot.i18n import N_
from bot.main_menu import main_menu_markup
from bot.replies import acknowledge, button, chosen, keyboard, send, show

__all__ = ["CONVERSATION_NAME", "State", "handlers", "offer_report"]

CONVERSATION_NAME = "report"
MAX_STORY = 4000


class State(StrEnum):
    VIOLATIONS = "violations"
    PERPETRATORS = "perpetrators"
    WHEN = "when"
    WHEN_DATE = "when_date"
    PLACE = "place"
    GROUPS = "groups"
    GENDER = "gender"
    AGE = "age"
    STORY = "story"
    CONTACT = "contact"
    PHONE = "phone"
    ADVOCACY = "advocacy"
    URGENT = "urgent"
    SUMMARY = "summary"


REPORT_STEPS = (
    State.VIOLATIONS,
    State.PERPETRATORS,
    State.WHEN,
    State.PLACE,
    State.GROUPS,
    State.GENDER,
    State.AGE,
    State.STORY,
    State.CONTACT,
    State.ADVOCACY,
    State.URGENT,
    State.SUMMARY,
)
CONSULTATION_STEPS = (State.STORY, State.CONTACT, State.URGENT, State.SUMMARY)
MULTI = {State.VIOLATIONS: VIOLATIONS, State.PERPETRATORS: PERPETRATORS, State.GROUPS: GROUPS}
SINGLE = {State.WHEN: WHEN, State.GENDER: GENDERS, State.AGE: AGE_BANDS}
OPTIONAL = {State.PERPETRATORS, State.WHEN, State.PLACE, State.GROUPS, State.GENDER, State.AGE}


def _draft(context: OporaContext) -> dict[str, Any]:
    data = context.user_data
    assert data is not None
    draft: dict[str, Any] = data.setdefault("report", {})
    return draft


async def offer_report(update: Update, context: OporaContext, kind: str = "report") -> None:
    """What happens next and who will see it; agreeing starts the conversation."""
    t = context.t
    if kind == "report":
        text = t.gettext(
            "📝 <b>Report a rights violation</b>\n\nI will ask a few short questions: what "
            "happened, who did it, when and where, and your own words. Only trained paralegals "
            "of a partner organisation see the report, under a case code: never your name, "
            "phone or Telegram account. They can answer you here, through Opora.\n\nTo go on, "
            "agree that Opora stores your report (encrypted). You can withdraw it at any time "
            "with /case."
        )
    else:
        text = t.gettext(
            "💬 <b>Talk to a person</b>\n\nA trained paralegal or counsellor of a partner "
            "organisation answers here, through Opora. They see a case code, never your name "
            "or Telegram account.\n\nTo go on, agree that Opora stores what you write "
            "(encrypted). You can withdraw it at any time with /case."
        )
    markup = keyboard(
        [button("✅ " + t.gettext("I agree, go on"), f"rep:agree:{kind}")],
        [button(t.gettext("Not now"), "menu:main")],
    )
    if update.callback_query is not None:
        await show(update, text, markup)
    else:
        await send(update, text, markup)


async def _agreed(update: Update, context: OporaContext) -> State:
    """Consent given: start a fresh draft."""
    assert update.callback_query is not None
    await acknowledge(update.callback_query)
    kind = chosen(update).split(":")[-1]
    person = context.person
    context.user_data["report"] = {  # type: ignore[index]
        "kind": kind if kind in ("report", "consultation") else "report",
        "submission": uuid.uuid4().hex,
        "history": [],
        "violations": [],
        "perpetrators": [],
        "groups": [],
        "story": [],
        "evidence": [],
        "country": person.country if person.country != "ZZ" else None,
        "contact": "bot",
        "advocacy": False,
        "urgent": False,
    }
    steps = _steps(context)
    return await _go(update, context, steps[0], remember=False)


def _steps(context: OporaContext) -> tuple[State, ...]:
    return REPORT_STEPS if _draft(context).get("kind") == "report" else CONSULTATION_STEPS


def _next(context: OporaContext, step: State) -> State:
    if step == State.WHEN_DATE:
        step = State.WHEN
    if step == State.PHONE:
        step = State.CONTACT
    steps = _steps(context)
    return steps[min(steps.index(step) + 1, len(steps) - 1)]


async def _go(update: Update, context: OporaContext, step: State, remember: bool = True) -> State:
    draft = _draft(context)
    if remember and draft.get("step"):
        draft["history"].append(draft["step"])
    draft["step"] = step
    await _prompt(update, context, step)
    return step


def _nav(context: OporaContext, step: State) -> list[Any]:
    t = context.t
    row = [button("⬅️ " + t.gettext("Back"), "rep:back")]
    if step in OPTIONAL:
        row.append(button(t.gettext("Skip") + " ⏭", "rep:skip"))
    row.append(button("✖️ " + t.gettext("Cancel"), "rep:cancel"))
    return row


QUESTIONS = {
    State.VIOLATIONS: N_("What happened? Choose everything that fits, then Done."),
    State.PERPETRATORS: N_("Who did it? Choose everything that fits, then Done."),
    State.WHEN: N_("When did it happen?"),
    State.WHEN_DATE: N_("Type the date, for example 25.11.2026."),
    State.PLACE: N_("In which town or village did it happen? Type its name."),
    State.GROUPS: N_(
        "About you (optional): which of these describe you? It helps show the pattern; "
        "choose any, then Done."
    ),
    State.GENDER: N_("Your gender (optional):"),
    State.AGE: N_("Your age (optional):"),
    State.STORY: N_(
        "In your own words: what happened? Write as much as you want. You can also send "
        "photos, documents or voice messages as evidence. Press Done when you have finished."
    ),
    State.CONTACT: N_("How can the paralegal reach you?"),
    State.PHONE: N_("Type the phone number the paralegal may call."),
    State.ADVOCACY: N_(
        "May your report be used, without anything that identifies you, in statistics and "
        "advocacy to change how people are treated?"
    ),
    State.URGENT: N_("Is it urgent? For example: you are detained now, or in danger."),
}


async def _prompt(update: Update, context: OporaContext, step: State) -> None:
    t = context.t
    draft = _draft(context)
    if step == State.SUMMARY:
        await _summary(update, context)
        return
    rows: list[list[Any]] = []
    if step in MULTI:
        picked = set(draft.get(step.value, []))
        for code, label in MULTI[step].items():
            mark = "✅ " if code in picked else ""
            rows.append([button(mark + t.gettext(label), f"rep:pick:{code}")])
        rows.append([button(t.gettext("Done") + " ▶", "rep:done")])
    elif step in SINGLE:
        options = [
            button(t.gettext(label), f"rep:one:{code}") for code, label in SINGLE[step].items()
        ]
        rows.extend(options[i : i + 2] for i in range(0, len(options), 2))
        if step == State.WHEN:
            rows.append([button("📅 " + t.gettext("Type a date"), "rep:one:date")])
    elif step == State.STORY:
        rows.append([button(t.gettext("Done") + " ▶", "rep:done")])
    elif step == State.CONTACT:
        rows.append([button("💬 " + t.gettext("Through this bot (anonymous)"), "rep:one:bot")])
        rows.append([button("📞 " + t.gettext("By phone"), "rep:one:phone")])
        rows.append([button(t.gettext("Do not contact me (document only)"), "rep:one:none")])
    elif step in (State.ADVOCACY, State.URGENT):
        rows.append(
            [button(t.gettext("Yes"), "rep:one:yes"), button(t.gettext("No"), "rep:one:no")]
        )
    rows.append(_nav(context, step))
    await show(update, t.gettext(QUESTIONS[step]), keyboard(*rows))
    if step == State.PLACE:
        # A shared location is reduced to its town at once; the point itself is not kept.
        share = KeyboardButton("📍 " + t.gettext("Share my location"), request_location=True)
        await send(
            update,
            "📍",
            ReplyKeyboardMarkup([[share]], resize_keyboard=True, one_time_keyboard=True),
        )


def _labels(context: OporaContext, options: dict[str, str], codes: list[str]) -> str:
    return ", ".join(context.t.gettext(options[c]) for c in codes if c in options) or "—"


async def _summary(update: Update, context: OporaContext) -> None:
    t = context.t
    d = _draft(context)
    lines = ["📋 <b>" + t.gettext("Please check before sending") + "</b>"]
    if d["kind"] == "report":
        when_label = WHEN.get(d.get("when") or "")
        when = d.get("when_date") or (t.gettext(when_label) if when_label else "—")
        lines += [
            t.gettext("What happened: {value}").format(
                value=_labels(context, VIOLATIONS, d["violations"])
            ),
            t.gettext("Who did it: {value}").format(
                value=_labels(context, PERPETRATORS, d["perpetrators"])
            ),
            t.gettext("When: {value}").format(value=html.escape(when)),
            t.gettext("Where: {value}").format(value=html.escape(d.get("city") or "—")),
            t.gettext("About you: {value}").format(value=_labels(context, GROUPS, d["groups"])),
        ]
    story = " ".join(d["story"])
    preview = story if len(story) <= 300 else story[:300] + "…"
    lines.append(t.gettext("Your words: {value}").format(value=html.escape(preview) or "—"))
    if d["evidence"]:
        lines.append(t.gettext("Evidence: {count} file(s)").format(count=len(d["evidence"])))
    contact = {
        "bot": t.gettext("through this bot"),
        "phone": t.gettext("by phone"),
        "none": t.gettext("not at all"),
    }
    lines.append(t.gettext("Contact: {value}").format(value=contact[d["contact"]]))
    if d.get("urgent"):
        lines.append("🚨 " + t.gettext("Urgent"))
    rows = [[button("📨 " + t.gettext("Send to a paralegal"), "rep:submit")]]
    edits = [
        (State.VIOLATIONS, t.gettext("What")),
        (State.STORY, t.gettext("Words")),
        (State.CONTACT, t.gettext("Contact")),
    ]
    rows.append(
        [
            button("✏️ " + label, f"rep:edit:{step.value}")
            for step, label in edits
            if step in _steps(context)
        ]
    )
    rows.append(
        [
            button("⬅️ " + t.gettext("Back"), "rep:back"),
            button("✖️ " + t.gettext("Cancel"), "rep:cancel"),
        ]
    )
    await show(update, "\n".join(lines), keyboard(*rows))


async def _button(update: Update, context: OporaContext) -> State | int:
    """Every button of the report conversation."""
    assert update.callback_query is not None
    await acknowledge(update.callback_query)
    draft = _draft(context)
    step = State(draft.get("step", State.VIOLATIONS))
    action, _, value = chosen(update).partition(":")
    if action == "cancel":
        return await _cancel(update, context)
    if action == "back":
        if not draft.get("history"):
            return await _cancel(update, context)
        step = State(draft["history"].pop())
        draft["step"] = step
        await _prompt(update, context, step)
        return step
    if action == "skip":
        return await _go(update, context, _next(context, step))
    if action == "edit" and value in State.__members__.values():
        return await _go(update, context, State(value))
    if action == "pick" and step in MULTI:
        picked = draft.setdefault(step.value, [])
        if value in picked:
            picked.remove(value)
        elif value in MULTI[step]:
            picked.append(value)
        await _prompt(update, context, step)
        return step
    if action == "done":
        if step == State.VIOLATIONS and not draft["violations"]:
            await acknowledge(
                update.callback_query, context.t.gettext("Choose at least one."), show_alert=True
            )
            return step
        if step == State.STORY and not draft["story"] and not draft["evidence"]:
            await acknowledge(
                update.callback_query,
                context.t.gettext("Write a few words first."),
                show_alert=True,
            )
            return step
        return await _go(update, context, _next(context, step))
    if action == "one":
        return await _single(update, context, step, value)
    if action == "submit" and step == State.SUMMARY:
        return await _submit(update, context)
    await _prompt(update, context, step)
    return step


async def _single(update: Update, context: OporaContext, step: State, value: str) -> State:
    draft = _draft(context)
    if step == State.WHEN:
        if value == "date":
            return await _go(update, context, State.WHEN_DATE)
        draft["when"], draft["when_date"] = value, None
    elif step == State.GENDER:
        draft["gender"] = value
    elif step == State.AGE:
        draft["age"] = value
    elif step == State.CONTACT:
        draft["contact"] = value
        if value == "phone":
            return await _go(update, context, State.PHONE)
    elif step == State.ADVOCACY:
        draft["advocacy"] = value == "yes"
    elif step == State.URGENT:
        draft["urgent"] = value == "yes"
    return await _go(update, context, _next(context, step))


_DATE = re.compile(r"^\s*(\d{1,2})[./\-](\d{1,2})[./\-](\d{2,4})\s*$")


async def _typed(update: Update, context: OporaContext) -> State:
    """Text typed in a step that expects it: a date, a town, the story, a phone number."""
    message = update.effective_message
    assert message is not None
    t = context.t
    draft = _draft(context)
    step = State(draft.get("step", State.VIOLATIONS))
    text = (message.text or "").strip()
    if step == State.WHEN_DATE:
        match = _DATE.match(text)
        try:
            day, month, year = (int(x) for x in match.groups()) if match else (0, 0, 0)
            year += 2000 if year < 100 else 0
            when = dt.date(year, month, day)
        except ValueError:
            await send(
                update, t.gettext("I could not read that date. Please type it like 25.11.2026.")
            )
            return step
        if when > dt.date.today() or when.year < 1990:
            await send(
                update, t.gettext("That date is in the future or too long ago. Please check it.")
            )
            return step
        draft["when"], draft["when_date"] = "date", when.isoformat()
    elif step == State.PLACE:
        draft["city"] = text[:100]
    elif step == State.STORY:
        if text:
            draft["story"].append(text[:MAX_STORY])
        await send(
            update,
            t.gettext("Got it. Add more, or press Done."),
            keyboard([button(t.gettext("Done") + " ▶", "rep:done")]),
        )
        return step
    elif step == State.PHONE:
        if not re.fullmatch(r"\+?[0-9 ()\-]{6,20}", text):
            await send(
                update, t.gettext("That does not look like a phone number. Please type it again.")
            )
            return step
        draft["phone"] = text
    else:
        await _prompt(update, context, step)
        return step
    return await _go(update, context, _next(context, step))


async def _located(update: Update, context: OporaContext) -> State:
    """A shared location at the "where" step: only the nearest town is kept."""
    message = update.effective_message
    assert message is not None and message.location is not None
    draft = _draft(context)
    step = State(draft.get("step", State.VIOLATIONS))
    if step != State.PLACE:
        await _prompt(update, context, step)
        return step
    town = context.services.directory.cities.nearest(
        message.location.latitude, message.location.longitude
    )
    draft["city"] = town.name if town else None
    await send(update, "📍 " + (town.name if town else "—"), ReplyKeyboardRemove())
    return await _go(update, context, _next(context, step))


async def _evidence(update: Update, context: OporaContext) -> State:
    """A photo, document or voice note while telling the story: kept as evidence."""
    message = update.effective_message
    assert message is not None
    draft = _draft(context)
    step = State(draft.get("step", State.VIOLATIONS))
    attachment = message.effective_attachment
    empty = attachment is None or (isinstance(attachment, (list, tuple)) and not attachment)
    if step != State.STORY or empty:
        await _prompt(update, context, step)
        return step
    item = attachment[-1] if isinstance(attachment, (list, tuple)) else attachment
    draft["evidence"].append(
        {
            "kind": type(item).__name__,
            "file_id": getattr(item, "file_id", ""),
            "message_id": message.message_id,
        }
    )
    if message.caption:
        draft["story"].append(message.caption[:MAX_STORY])
    t = context.t
    await send(
        update,
        t.gettext("Saved as evidence. Add more, or press Done."),
        keyboard([button(t.gettext("Done") + " ▶", "rep:done")]),
    )
    return step


async def _cancel(update: Update, context: OporaContext) -> int:
    context.user_data.pop("report", None)  # type: ignore[union-attr]
    t = context.t
    await show(update, t.gettext("Cancelled. Nothing was sent or kept."), main_menu_markup(t))
    return ConversationHandler.END


async def _submit(update: Update, context: OporaContext) -> int:
    """Store the case (once, however often the button is pressed) and hand it to paralegals."""
    draft = _draft(context)
    chat = update.effective_chat
    assert chat is not None
    services = context.services
    details = {
        "country": draft.get("country"),
        "city": draft.get("city"),
        "urgent": bool(draft.get("urgent")),
        "violations": draft["violations"],
        "perpetrators": draft["perpetrators"],
        "happened": draft.get("when"),
        "happened_on": dt.date.fromisoformat(draft["when_date"])
        if draft.get("when_date")
        else None,
        "groups": draft["groups"],
        "gender": draft.get("gender"),
        "age_band": draft.get("age"),
        "story": "\n\n".join(draft["story"]) or None,
        "evidence": draft["evidence"] or None,
        "contact": draft["contact"],
        "phone": draft.get("phone"),
        "consent_contact": draft["contact"] != "none",
        "consent_advocacy": bool(draft.get("advocacy")),
    }
    case, created = await store.submit(
        services.database,
        submission=draft["submission"],
        kind=draft["kind"],
        client=context.person.subject,
        client_chat=chat.id,
        language=context.person.language,
        details=details,
    )
    if created:
        await announce_case(context, case)
    context.user_data.pop("report", None)  # type: ignore[union-attr]
    if case.contact == "bot":
        context.user_data["case_chat"] = case.code  # type: ignore[index]
    t = context.t
    text = t.gettext(
        "✅ Sent. Your case code is <b>{code}</b>. A paralegal will look at it, usually within "
        "one working day, sooner if it is urgent. Their answers arrive here."
    ).format(code=case.code)
    if case.contact == "bot":
        text += "\n\n" + t.gettext(
            "Anything you write now goes to the paralegal on this case. /leave stops that; "
            "/case shows your cases."
        )
    leave = (
        keyboard([button("🚪 " + t.gettext("Leave the case chat"), f"mycase:leave:{case.code}")])
        if case.contact == "bot"
        else main_menu_markup(t)
    )
    await show(update, text, leave)
    return ConversationHandler.END


async def _start_command(update: Update, context: OporaContext) -> None:
    """/report: the same as the menu button."""
    await offer_report(update, context)


async def _menu_report(update: Update, context: OporaContext) -> None:
    await offer_report(update, context, "report" if chosen(update) == "report" else "consultation")


def handlers() -> Handlers:
    steps = {
        state: [
            CallbackQueryHandler(
                _button, pattern=r"^rep:(pick|done|one|back|skip|cancel|edit|submit)"
            ),
            MessageHandler(filters.TEXT & ~filters.COMMAND, _typed),
            MessageHandler(filters.LOCATION, _located),
            MessageHandler(filters.ATTACHMENT & ~filters.COMMAND, _evidence),
        ]
        for state in State
    }
    with warnings.catch_warnings():
        # Tracked per person, not per message: the report spans many messages on purpose.
        warnings.simplefilter("ignore", PTBUserWarning)
        conversation = ConversationHandler(
            entry_points=[
                CallbackQueryHandler(_agreed, pattern=r"^rep:agree:(report|consultation)$")
            ],
            states=steps,  # type: ignore[arg-type]
            fallbacks=[CommandHandler("cancel", _cancel)],
            name=CONVERSATION_NAME,
            persistent=True,
            allow_reentry=True,
        )
    return [
        conversation,
        CommandHandler("report", _start_command),
        CallbackQueryHandler(_menu_report, pattern=r"^menu:(report|human)$"),
    ]
