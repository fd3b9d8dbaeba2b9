"""/stats: programme statistics and charts for coordinators, in Telegram.

Only the Telegram ids in `paralegals.coordinators` get an answer with numbers; everyone else is
told the command is not for them. The numbers are the protected ones (bot.stats): what a
coordinator sees here is what may go into a donor report.

    /stats                 the last 90 days, all countries
    /stats 2026-Q3 KZ      a quarter, one country
    /stats 2026-07         a month;  /stats 2026  a year;  /stats 30d  the last 30 days
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import CommandHandler

from bot.context import Handlers, OporaContext
from bot.stats import Report, case_facts
from bot.stats_charts import charts

__all__ = ["handlers", "parse_period"]

USAGE = (
    "Use: /stats [period] [country], for example /stats 2026-Q3 KZ. A period is a quarter "
    "(2026-Q3), a month (2026-07), a year (2026) or the last days (30d); the default is the "
    "last 90 days of all countries."
)


def parse_period(text: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """(first day, last day) of a period written as 2026-Q3, 2026-07, 2026 or 30d."""
    if match := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
        year, quarter = int(match[1]), int(match[2])
        start = dt.date(year, 3 * quarter - 2, 1)
        end = dt.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - dt.timedelta(days=1)
        return start, end
    if match := re.fullmatch(r"(\d{4})-(\d{2})", text):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            return None
        start = dt.date(year, month, 1)
        return start, (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    if re.fullmatch(r"\d{4}", text):
        return dt.date(int(text), 1, 1), dt.date(int(text), 12, 31)
    if match := re.fullmatch(r"(\d{1,4})[dD]", text):
        return today - dt.timedelta(days=int(match[1]) - 1), today
    return None


async def _stats(update: Update, context: OporaContext) -> None:
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    services = context.services
    settings = services.settings
    if user.id not in settings.paralegals.coordinators:
        await message.reply_text(
            context.t.gettext("This command is for the programme's coordinators.")
        )
        return
    today = dt.datetime.now(dt.UTC).date()
    period: tuple[dt.date, dt.date] | None = (today - dt.timedelta(days=89), today)
    country = None
    for word in context.args or []:
        if word.upper() in settings.countries:
            country = word.upper()
        else:
            period = parse_period(word, today)
            if period is None:
                await message.reply_text(USAGE)
                return
    assert period is not None
    start, end = period
    facts = await case_facts(services.database, start, end, country)
    report = Report.of(facts, start, end, country, settings.stats.threshold)
    summary = report.table("summary")
    lines = [
        f"<b>Opora, {start.isoformat()} to {end.isoformat()}, {country or 'all countries'}</b>",
        *(f"{label}: {value}" for _, label, value in summary.rows),
        f"<i>Counts under {report.threshold} are merged or hidden.</i>",
    ]
    await message.reply_text("\n".join(lines), parse_mode=ParseMode.HTML)
    # Drawing takes a moment per chart: in a worker thread, so other people are not kept waiting.
    for chart in await asyncio.to_thread(charts, report):
        await message.reply_photo(chart.png, caption=chart.title)


def handlers() -> Handlers:
    return [CommandHandler("stats", _stats)]
