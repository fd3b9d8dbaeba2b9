"""Programme statistics for coordinators and donors, computed from cases, never from what anyone
wrote, with small-number protection.

Every published count is either 0 or at least `threshold` (default 5):
- a breakdown by category (violation, perpetrator, group, …) merges the categories under the
  threshold into "Other (fewer than N each)"; when that merged row is itself under the
  threshold, the smallest published category joins it until it is not (so it cannot be worked
  out by subtracting the others from a total), or everything is merged and shown as "<N";
- a series (cases per month) shows "<N" for a small cell; a single small cell also hides the
  next smallest ("hidden"), so the small one cannot be worked out from the total;
- a median is shown only when at least `threshold` cases go into it.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from bot.cases.categories import (
    AGE_BANDS,
    GENDERS,
    GROUPS,
    PERPETRATORS,
    SERVICES_GIVEN,
    STATUS_LABELS,
    VIOLATIONS,
)
from bot.cases.tables import Case
from bot.db import Database
from bot.db.models import UsageCount
from bot.db.types import utc

__all__ = [
    "CaseFacts",
    "Report",
    "Table",
    "case_facts",
    "protect_categories",
    "protect_series",
    "usage_counts",
]

OUTCOMES = {"full": "Resolved fully", "partial": "Resolved partially", "none": "Not resolved"}
QUALIFIED = {"yes": "Qualified as a violation", "no": "Not qualified", "open": "Not assessed yet"}
KINDS = {"report": "Reports of violations", "consultation": "Consultations"}
# Ordered bands of the time to a first answer (keys sort in order).
WAIT_BANDS = {
    "1_hour": "under 1 hour",
    "2_4_hours": "1 to 4 hours",
    "3_day": "4 to 24 hours",
    "4_3_days": "1 to 3 days",
    "5_later": "over 3 days",
}


def _wait_band(hours: float) -> str:
    if hours < 1:
        return "1_hour"
    if hours < 4:
        return "2_4_hours"
    if hours < 24:
        return "3_day"
    return "4_3_days" if hours < 72 else "5_later"


@dataclass(frozen=True)
class Table:
    """One published breakdown: a sheet of the export, a chart in Telegram."""

    key: str
    title: str
    header: tuple[str, str, str]
    rows: list[tuple[str, str, str]]  # (code, label, count or "<N")
    note: str = ""


@dataclass(frozen=True)
class CaseFacts:
    """What statistics may read of one case: categories and times, nothing a person wrote."""

    kind: str
    country: str | None
    city: str | None
    created: dt.datetime
    status: str
    urgent: bool
    violations: tuple[str, ...]
    perpetrators: tuple[str, ...]
    groups: tuple[str, ...]
    gender: str | None
    age_band: str | None
    outcome: str | None
    qualified: bool | None
    services: tuple[str, ...]
    first_response: dt.datetime | None
    closed: dt.datetime | None


def _town(name: str | None) -> str | None:
    """A town as people typed or chose it, written one way ("алматы " and "Алматы" are one)."""
    if not name or not name.strip():
        return None
    return " ".join(name.split()).title()[:60]


async def case_facts(
    database: Database, start: dt.date, end: dt.date, country: str | None = None
) -> list[CaseFacts]:
    """The cases created from `start` to `end` (inclusive, UTC), in one country or all."""
    since = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    query = select(
        Case.kind,
        Case.country,
        Case.city,
        Case.created_at,
        Case.status,
        Case.urgent,
        Case.violations,
        Case.perpetrators,
        Case.groups,
        Case.gender,
        Case.age_band,
        Case.outcome,
        Case.qualified,
        Case.services_given,
        Case.first_response_at,
        Case.closed_at,
    ).where(Case.created_at >= since, Case.created_at < until)
    if country:
        query = query.where(Case.country == country)
    async with database.session() as session:
        rows = (await session.execute(query)).all()
    return [
        CaseFacts(
            kind=row.kind,
            country=row.country,
            city=_town(row.city),
            created=utc(row.created_at) if row.created_at else since,
            status=row.status,
            urgent=bool(row.urgent),
            violations=tuple(row.violations or ()),
            perpetrators=tuple(row.perpetrators or ()),
            groups=tuple(row.groups or ()),
            gender=row.gender,
            age_band=row.age_band,
            outcome=row.outcome,
            qualified=row.qualified,
            services=tuple(row.services_given or ()),
            first_response=utc(row.first_response_at) if row.first_response_at else None,
            closed=utc(row.closed_at) if row.closed_at else None,
        )
        for row in rows
    ]


# A cell hidden only so that a small neighbour cannot be worked out from the total.
HIDDEN = "hidden"


async def usage_counts(
    database: Database, start: dt.date, end: dt.date
) -> list[tuple[dt.date, str, str, str, int]]:
    """The usage counts (bot.usage) of the weeks that begin from `start` to `end`."""
    query = select(
        UsageCount.week, UsageCount.metric, UsageCount.language, UsageCount.key, UsageCount.count
    ).where(UsageCount.week >= start - dt.timedelta(days=6), UsageCount.week <= end)
    async with database.session() as session:
        rows = (await session.execute(query)).all()
    return [(week, metric, language, key, int(n)) for week, metric, language, key, n in rows]


def _hidden(threshold: int) -> str:
    return f"<{threshold}"


def protect_categories(
    counts: Mapping[str, int], labels: Mapping[str, str], threshold: int
) -> list[tuple[str, str, str]]:
    """Rows for a breakdown by category, largest first; see the module's rules."""
    shown = sorted(
        ((code, n) for code, n in counts.items() if n > 0), key=lambda item: (-item[1], item[0])
    )
    big = [(code, n) for code, n in shown if n >= threshold]
    other = sum(n for code, n in shown if n < threshold)
    # Merged small categories under the threshold could be worked out from the total: merge
    # the smallest published one in as well, until the merged row is safe.
    while 0 < other < threshold and big:
        other += big.pop()[1]
    rows = [(code, labels.get(code, code), str(n)) for code, n in big]
    if other:
        label = f"Other (fewer than {threshold} each)"
        rows.append(
            ("other_small", label, str(other) if other >= threshold else _hidden(threshold))
        )
    return rows


def protect_series(counts: Mapping[str, int], threshold: int) -> dict[str, str]:
    """Cells of a series (cases per month), in key order; see the module's rules."""
    cells = dict(sorted(counts.items()))
    small = {key for key, n in cells.items() if 0 < n < threshold}
    also: set[str] = set()
    if len(small) == 1:
        # One hidden cell and a published total give it away: hide the next smallest too.
        candidates = sorted((n, key) for key, n in cells.items() if key not in small and n > 0)
        if candidates:
            also.add(candidates[0][1])
    return {
        key: _hidden(threshold) if key in small else HIDDEN if key in also else str(n)
        for key, n in cells.items()
    }


def _months(start: dt.date, end: dt.date) -> list[str]:
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append(day.strftime("%Y-%m"))
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def _count(values: Iterable[str | None]) -> Counter[str]:
    return Counter("not_given" if value is None else value for value in values)


def _median(values: list[float], threshold: int, unit: str) -> str:
    if len(values) < threshold:
        return f"fewer than {threshold} cases"
    return f"{statistics.median(values):.1f} {unit}"


@dataclass
class Report:
    """Every breakdown of one period, ready to publish."""

    start: dt.date
    end: dt.date
    country: str | None
    threshold: int
    tables: list[Table] = field(default_factory=list)

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)

    @classmethod
    def of(
        cls,
        facts: list[CaseFacts],
        start: dt.date,
        end: dt.date,
        country: str | None = None,
        threshold: int = 5,
    ) -> Report:
        report = cls(start, end, country, threshold)
        reports = [f for f in facts if f.kind == "report"]
        hidden = _hidden(threshold)

        def shown(n: int) -> str:
            return str(n) if n == 0 or n >= threshold else hidden

        responded = [
            (f.first_response - f.created).total_seconds() / 3600
            for f in facts
            if f.first_response is not None
        ]
        closed = [(f.closed - f.created).total_seconds() / 86400 for f in facts if f.closed]
        with_outcome = [f for f in reports if f.outcome]
        full = sum(1 for f in with_outcome if f.outcome == "full")
        partial = sum(1 for f in with_outcome if f.outcome == "partial")

        def share(part: int, whole: list[CaseFacts]) -> str:
            # A share of a small part gives the part away as surely as a count.
            if len(whole) < threshold or 0 < part < threshold:
                return f"fewer than {threshold} cases"
            return f"{100 * part / len(whole):.0f}%"

        summary = [
            ("reports", "Reports of violations", shown(len(reports))),
            ("consultations", "Consultations", shown(len(facts) - len(reports))),
            ("urgent", "Urgent (detained or in danger)", shown(sum(f.urgent for f in facts))),
            (
                "qualified",
                "Qualified as a violation",
                shown(sum(1 for f in reports if f.qualified)),
            ),
            (
                "resolved_full",
                "Resolved fully (share of reports with an outcome)",
                share(full, with_outcome),
            ),
            (
                "resolved_partial",
                "Resolved partially (share of reports with an outcome)",
                share(partial, with_outcome),
            ),
            (
                "first_response",
                "Median time to a paralegal's first answer",
                _median(responded, threshold, "hours"),
            ),
            ("closure", "Median time to closing", _median(closed, threshold, "days")),
        ]
        report.tables.append(Table("summary", "Summary", ("code", "figure", "value"), summary))
        per_month = Counter(f.created.strftime("%Y-%m") for f in reports)
        for month in _months(start, end):
            per_month.setdefault(month, 0)
        months = protect_series(per_month, threshold)
        report.tables.append(
            Table(
                "by_month",
                "Reports per month",
                ("month", "month", "reports"),
                [(month, month, value) for month, value in months.items()],
            )
        )
        crossed = []
        for month in sorted(per_month):
            kinds = Counter(
                v for f in reports if f.created.strftime("%Y-%m") == month for v in f.violations
            )
            for code, label, value in protect_categories(kinds, VIOLATIONS, threshold):
                crossed.append((f"{month}:{code}", label, value))
        report.tables.append(
            Table(
                "by_month_violation",
                "Violations reported per month, by type",
                ("month_type", "type", "count"),
                crossed,
                "In each month, types named fewer than the threshold times are merged.",
            )
        )
        waits = Counter(_wait_band(hours) for hours in responded)
        bands = protect_series({band: waits.get(band, 0) for band in WAIT_BANDS}, threshold)
        report.tables.append(
            Table(
                "by_response",
                "Time to a paralegal's first answer",
                ("band", "time", "cases"),
                [(band, WAIT_BANDS[band], value) for band, value in bands.items()],
            )
        )
        breakdowns: list[tuple[str, str, Counter[str], Mapping[str, str], str]] = [
            ("by_country", "Reports by country", _count(f.country for f in reports), {}, ""),
            (
                "by_town",
                "Reports by town",
                _count(f.city for f in reports),
                {},
                "As the person named it; towns with few reports are merged.",
            ),
            (
                "by_violation",
                "Violations reported",
                Counter(v for f in reports for v in f.violations),
                VIOLATIONS,
                "A report can name several violations.",
            ),
            (
                "by_perpetrator",
                "Who committed them",
                Counter(p for f in reports for p in f.perpetrators),
                PERPETRATORS,
                "A report can name several.",
            ),
            (
                "by_group",
                "Key populations of the people reporting",
                Counter(g for f in reports for g in f.groups),
                GROUPS,
                "A person can belong to several groups.",
            ),
            ("by_gender", "Gender", _count(f.gender for f in reports), GENDERS, ""),
            ("by_age", "Age", _count(f.age_band for f in reports), AGE_BANDS, ""),
            ("by_status", "Status now", _count(f.status for f in facts), STATUS_LABELS, ""),
            ("by_outcome", "Outcome", _count(f.outcome for f in with_outcome), OUTCOMES, ""),
            (
                "by_qualified",
                "Qualified as a violation",
                _count(
                    "open" if f.qualified is None else "yes" if f.qualified else "no"
                    for f in reports
                ),
                QUALIFIED,
                "",
            ),
            (
                "by_service",
                "Services given",
                Counter(s for f in facts for s in f.services),
                SERVICES_GIVEN,
                "A case can receive several.",
            ),
        ]
        for key, title, counts, labels, note in breakdowns:
            rows = protect_categories(counts, {"not_given": "Not given", **labels}, threshold)
            report.tables.append(Table(key, title, ("code", "category", "count"), rows, note))
        return report

    def add_usage(self, counts: list[tuple[dt.date, str, str, str, int]]) -> None:
        """Tables of how the bot was used: (week, metric, language, key, count) rows."""
        threshold = self.threshold
        per_week: Counter[str] = Counter()
        intents: Counter[str] = Counter()
        searched: Counter[str] = Counter()
        texts: Counter[str] = Counter()
        unplaced: Counter[str] = Counter()
        for week, metric, language, key, n in counts:
            if metric == "conversation":
                per_week[f"{week.isoformat()} {language}"] += n
            elif metric == "intent":
                intents[key] += n
            elif metric == "service_search":
                searched[key] += n
            elif metric == "free_text":
                texts[language] += n
            elif metric in {"not_placed", "did_you_mean"}:
                unplaced[language] += n
        self.tables.append(
            Table(
                "usage_conversations",
                "Conversations per week and language",
                ("week_language", "week (Monday) and language", "conversations"),
                [(key, key, value) for key, value in protect_series(per_week, threshold).items()],
                "A conversation is a person's first message of a day.",
            )
        )
        self.tables.append(
            Table(
                "usage_intents",
                "Questions asked, by topic",
                ("intent", "topic", "messages"),
                protect_categories(intents, {}, threshold),
            )
        )
        shares = []
        for language in sorted(texts):
            whole, part = texts[language], unplaced[language]
            if whole < threshold or 0 < part < threshold:
                value = f"fewer than {threshold} messages"
            else:
                value = f"{100 * part / whole:.0f}% of {whole}"
            shares.append((language, language, value))
        self.tables.append(
            Table(
                "usage_not_understood",
                "Messages the NLU could not place, by language",
                ("language", "language", "share"),
                shares,
                "Not placed: answered with 'I did not understand' or 'Did you mean…'.",
            )
        )
        self.tables.append(
            Table(
                "usage_services",
                "Services searched, by type",
                ("type", "type", "searches"),
                protect_categories(searched, {}, threshold),
            )
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "country": self.country or "all",
            "threshold": self.threshold,
            "tables": {t.key: t.rows for t in self.tables},
        }
