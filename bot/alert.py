""" "I am being detained or searched right now": a one-tap urgent case for the paralegal on duty.

The rights card (content/answers/detained_now*.md) ends with an alert button. One tap stores an
urgent police case, opens its topic in the workspace with the urgent ping, and writes to each
paralegal on duty (paralegals.on_duty) privately, with the case code only. The person is then in
the case chat: whatever they can write goes straight to the paralegal. Tapping twice makes one
case, not two.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler

from bot.case_desk import announce_case
from bot.cases import store
from bot.cases.store import CaseView
from bot.context import Handlers, OporaContext
from bot.i18n import country_name
from bot.replies import acknowledge, button, keyboard, send
from bot.safety import wipe_markup_row

__all__ = ["handlers", "on_duty_for"]

log = logging.getLogger(__name__)


def on_duty_for(context: OporaContext, country: str | None) -> tuple[int, ...]:
    """The paralegals on duty for a country, else the default ones."""
    on_duty = context.services.settings.paralegals.on_duty
    return on_duty.get(country or "") or on_duty.get("default", ())


async def _tell_on_duty(context: OporaContext, case: CaseView) -> int:
    services = context.services
    t = services.catalogs.get(services.settings.paralegals.language)
    place = country_name(case.country, t.lang) if case.country else "—"
    text = "🚨 " + t.gettext(
        "Urgent: someone is being stopped, searched or detained by police right now. Case "
        "{code} ({place}) is in the workspace: please take it now."
    ).format(code=case.code, place=place)
    reached = 0
    for paralegal in on_duty_for(context, case.country):
        try:
            await context.bot.send_message(paralegal, text)
            reached += 1
        except TelegramError as exc:
            # They never opened the bot, or blocked it: the workspace ping still stands.
            log.warning("Could not alert a paralegal on duty: %s", type(exc).__name__)
    return reached


async def _alert(update: Update, context: OporaContext) -> None:
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None and chat is not None and context.user_data is not None
    await acknowledge(query)
    services = context.services
    person = context.person
    # One case per card: the same button pressed again (or retried) finds the first.
    card = query.message.message_id if query.message is not None else 0
    staff = services.catalogs.get(services.settings.paralegals.language)
    submission = services.database.cipher.subject("alert", f"{chat.id}:{card}")
    case, created = await store.submit(
        services.database,
        submission=submission,
        kind="report",
        client=person.subject,
        client_chat=chat.id,
        language=person.language,
        details={
            "country": person.country,
            "urgent": True,
            "violations": ["other"],
            "perpetrators": ["police"],
            "happened": "today",
            "contact": "bot",
            "consent_contact": True,
            "consent_advocacy": False,
            "story": staff.gettext(
                "One-tap alert from the card “Stopped or detained by police right now”. "
                "The person may be able to write only a little, or nothing."
            ),
        },
    )
    if created:
        await announce_case(context, case)
        await _tell_on_duty(context, case)
    context.user_data["case_chat"] = case.code
    t = context.t
    text = "🚨 " + t.gettext(
        "A paralegal has been alerted. Your case code is <b>{code}</b>. If you can, write here "
        "what is happening and where: it goes only to the paralegal, who answers here."
    ).format(code=case.code)
    await send(
        update,
        text,
        keyboard(
            wipe_markup_row(t),
            [button("🚪 " + t.gettext("Leave the case chat"), f"mycase:leave:{case.code}")],
        ),
    )


def handlers() -> Handlers:
    return [CallbackQueryHandler(_alert, pattern=r"^alert:now$")]
