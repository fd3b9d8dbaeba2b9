"""`python -m bot stats export`: the protected statistics of a period as CSV files or a workbook.

The layout is for pasting into a REAct-style quarterly report: one sheet (or CSV file) per
breakdown, each with the period, the country and the small-number rule on top.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bot.crypto import Cipher
from bot.db import Database, DatabaseUnavailable, configured
from bot.db.types import utc
from bot.settings import ROOT, Settings
from bot.stats import Report, Table, case_facts, usage_counts

__all__ = ["add_commands", "run", "write_charts", "write_csv", "write_xlsx"]

log = logging.getLogger(__name__)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stats = commands.add_parser("stats", help="programme statistics for coordinators")
    sub = stats.add_subparsers(dest="stats_command", required=True, metavar="STATS_COMMAND")
    export = sub.add_parser(
        "export", help="aggregated, protected tables of a period: CSV files or an .xlsx workbook"
    )
    export.add_argument("--from", dest="start", type=dt.date.fromisoformat, required=True)
    export.add_argument("--to", dest="end", type=dt.date.fromisoformat, required=True)
    export.add_argument("--country", help="ISO code, e.g. KZ (default: all countries)")
    export.add_argument("--format", choices=("csv", "xlsx"), default="xlsx")
    export.add_argument(
        "--out",
        type=Path,
        required=True,
        help="a directory for CSV files, or the .xlsx file to write",
    )
    _add_sample(sub)
    _add_nlu(sub)
    _add_cases(sub)
    export.add_argument(
        "--threshold",
        type=int,
        default=None,
        help="smallest count published (smaller ones are merged or hidden); at least 3; "
        "default: stats.threshold in config.yml",
    )


def _add_nlu(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    nlu = sub.add_parser(
        "nlu",
        help="for content editors: what the NLU misunderstood, per language, in recent weeks",
    )
    nlu.add_argument("--weeks", type=int, default=1, help="this week and the ones before (1)")
    nlu.add_argument("--lang", help="one language only")
    nlu.add_argument(
        "--texts",
        action="store_true",
        help="also print the kept texts (only from people who opted in; kept 30 days)",
    )


def _add_cases(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cases = sub.add_parser(
        "cases",
        help="one row per case, for the NGO's own monitoring: case codes and categories, "
        "never who the person is; their own words only with --with-narratives (audited)",
    )
    cases.add_argument("--from", dest="start", type=dt.date.fromisoformat, required=True)
    cases.add_argument("--to", dest="end", type=dt.date.fromisoformat, required=True)
    cases.add_argument("--country", help="ISO code, e.g. KZ (default: all countries)")
    cases.add_argument("--out", type=Path, required=True, help="the .csv or .xlsx file to write")
    cases.add_argument(
        "--with-narratives",
        action="store_true",
        help="add each person's own account (decrypted); needs --coordinator and is recorded "
        "in each case's audit trail",
    )
    cases.add_argument(
        "--coordinator",
        type=int,
        help="your Telegram id; it must be in paralegals.coordinators",
    )


CASE_COLUMNS = (
    "code",
    "kind",
    "country",
    "created",
    "status",
    "urgent",
    "violations",
    "perpetrators",
    "groups",
    "gender",
    "age_band",
    "outcome",
    "qualified",
    "services_given",
    "hours_to_first_answer",
    "days_to_closing",
)


async def _case_rows(
    settings: Settings, args: argparse.Namespace
) -> tuple[list[str], list[list[Any]]]:
    from sqlalchemy import select

    from bot.cases.store import record
    from bot.cases.tables import Case

    database = configured(settings)
    since = dt.datetime.combine(args.start, dt.time.min, tzinfo=dt.UTC)
    until = dt.datetime.combine(args.end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    header = list(CASE_COLUMNS) + (["narrative"] if args.with_narratives else [])
    rows: list[list[Any]] = []
    try:
        await database.migrate()
        async with database.session() as session:
            query = select(Case).where(Case.created_at >= since, Case.created_at < until)
            if args.country:
                query = query.where(Case.country == args.country)
            for case in await session.scalars(query.order_by(Case.created_at)):
                created = utc(case.created_at)

                row: list[Any] = [
                    case.code,
                    case.kind,
                    case.country or "",
                    created.date().isoformat(),
                    case.status,
                    "yes" if case.urgent else "no",
                    " ".join(case.violations or []),
                    " ".join(case.perpetrators or []),
                    " ".join(case.groups or []),
                    case.gender or "",
                    case.age_band or "",
                    case.outcome or "",
                    "" if case.qualified is None else "yes" if case.qualified else "no",
                    " ".join(case.services_given or []),
                    _since(created, case.first_response_at, 3600),
                    _since(created, case.closed_at, 86400),
                ]
                if args.with_narratives:
                    row.append(case.story or "")
                    # Who read whose words, and when: in the case's own audit trail.
                    record(
                        session,
                        case.id,
                        f"coordinator:{args.coordinator}",
                        "exported_narrative",
                    )
                rows.append(row)
    finally:
        await database.close()
    return header, rows


def _since(created: dt.datetime, moment: dt.datetime | None, unit: float) -> float | None:
    """Time from `created` to `moment` in `unit` seconds (hours: 3600), or None."""
    if moment is None:
        return None
    return round((utc(moment) - created).total_seconds() / unit, 1)


def _write_rows(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "cases"
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        book.save(path)
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _country_checked(args: argparse.Namespace, settings: Settings) -> bool:
    """Normalise --country (kz -> KZ); False, with a message, if it is not a configured one."""
    country = args.country.upper() if args.country else None
    if country and country not in settings.countries:
        print(f"--country must be one of {', '.join(settings.countries)}.", file=sys.stderr)
        return False
    args.country = country
    return True


def _cases(args: argparse.Namespace, settings: Settings) -> int:
    if args.with_narratives and args.coordinator not in settings.paralegals.coordinators:
        print(
            "--with-narratives exports what people wrote: only a coordinator may, with their "
            "Telegram id in --coordinator (listed in paralegals.coordinators).",
            file=sys.stderr,
        )
        return 2
    if not _country_checked(args, settings):
        return 2
    try:
        header, rows = asyncio.run(_case_rows(settings, args))
    except DatabaseUnavailable as exc:
        print(f"Opora {exc}", file=sys.stderr)
        return 2
    _write_rows(args.out, header, rows)
    if args.with_narratives:
        # The coordinator's id is in each case's audit trail; logs carry no Telegram ids.
        log.warning(
            "Case-level export with narratives by a coordinator: %d cases (recorded in each "
            "case's audit trail)",
            len(rows),
        )
    print(
        f"Wrote {len(rows)} cases to {args.out}"
        + (
            " with narratives (recorded in each case's audit trail)."
            if args.with_narratives
            else " (codes and categories only)."
        )
    )
    return 0


def _add_sample(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sample = sub.add_parser(
        "sample", help="the export of made-up demo cases (docs/stats/ is made with this)"
    )
    sample.add_argument("--out", type=Path, required=True, help="directory to write")
    sample.add_argument("--cases", type=int, default=600)


def _preamble(report: Report, table: Table) -> list[list[str]]:
    where = report.country or "all countries"
    rows = [
        [table.title],
        [f"Opora, {report.start.isoformat()} to {report.end.isoformat()}, {where}"],
        [f"Counts under {report.threshold} are merged or shown as <{report.threshold}."],
    ]
    if table.note:
        rows.append([table.note])
    return [*rows, []]


def write_csv(report: Report, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for table in report.tables:
        path = directory / f"{table.key}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerows(_preamble(report, table))
            writer.writerow(table.header)
            writer.writerows(table.rows)
        written.append(path)
    return written


def write_xlsx(report: Report, path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for table in report.tables:
        sheet = book.create_sheet(table.key[:31])
        for row in _preamble(report, table):
            sheet.append(row)
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(list(table.header))
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for code, label, value in table.rows:
            # Numbers as numbers (they sum in a spreadsheet); "<5" stays text.
            sheet.append([code, label, int(value) if value.isdigit() else value])
        sheet.column_dimensions["A"].width = 18
        sheet.column_dimensions["B"].width = 52
        sheet.column_dimensions["C"].width = 22
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


async def _report(settings: Settings, args: argparse.Namespace) -> Report:
    database = configured(settings)
    try:
        await database.migrate()  # as the bot does on start: an older schema is brought up
        facts = await case_facts(database, args.start, args.end, args.country)
        usage = [] if args.country else await usage_counts(database, args.start, args.end)
    finally:
        await database.close()
    report = Report.of(facts, args.start, args.end, args.country, args.threshold)
    if not args.country:
        # Usage is counted per language, not per country: only in the all-countries export.
        report.add_usage(usage)
    return report


async def _sample_report(count: int, start: dt.date, end: dt.date) -> Report:
    import tempfile

    from bot.crypto import generate_key
    from bot.stats_demo import demo_cases

    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{folder}/demo.sqlite3", Cipher(generate_key()), ROOT)
        try:
            await database.migrate()
            async with database.session() as session:
                session.add_all(demo_cases(count, start, end))
            facts = await case_facts(database, start, end)
        finally:
            await database.close()
    return Report.of(facts, start, end)


async def _misunderstood(settings: Settings, args: argparse.Namespace) -> list[str]:
    from sqlalchemy import select

    from bot.db.models import NluSample
    from bot.usage import week_of

    database = configured(settings)
    today = dt.datetime.now(dt.UTC).date()
    first = week_of(today) - dt.timedelta(weeks=max(1, args.weeks) - 1)
    try:
        await database.migrate()  # as the bot does on start: an older schema is brought up
        counts = await usage_counts(database, first, today)
        samples: list[NluSample] = []
        if args.texts:
            since = dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC)
            async with database.session() as session:
                samples = list(
                    await session.scalars(
                        select(NluSample)
                        .where(NluSample.created_at >= since)
                        .order_by(NluSample.language, NluSample.created_at)
                    )
                )
    finally:
        await database.close()
    by_language: dict[str, Counter[tuple[str, str]]] = {}
    for _week, metric, language, key, n in counts:
        if args.lang and language != args.lang:
            continue
        by_language.setdefault(language, Counter())[(metric, key)] += n
    lines = [f"Weeks from {first.isoformat()} to today: what the NLU did not understand."]
    for language in sorted(by_language):
        seen = by_language[language]
        texts = sum(n for (metric, _), n in seen.items() if metric == "free_text")
        unplaced = sum(n for (metric, _), n in seen.items() if metric == "not_placed")
        unsure = sum(n for (metric, _), n in seen.items() if metric == "did_you_mean")

        def share(n: int, texts: int = texts) -> str:
            return f" ({100 * n / texts:.0f}%)" if texts else ""

        lines += [
            "",
            f"{language}: {texts} free-text messages; not placed {unplaced}{share(unplaced)}; "
            f'"Did you mean" {unsure}{share(unsure)}',
        ]
        for metric, title in (
            ("did_you_mean", "best guesses when unsure (the topics most often confused)"),
            ("chosen", 'picked from "Did you mean"'),
        ):
            top = Counter({key: n for (m, key), n in seen.items() if m == metric}).most_common(8)
            if top:
                lines.append(f"  {title}: " + ", ".join(f"{key} {n}" for key, n in top))
        kept = [sample for sample in samples if sample.language == language]
        if kept:
            lines.append(f"  kept texts ({len(kept)}, from people who opted in):")
            for sample in kept:
                guess = f" → {sample.guess}" if sample.guess else ""
                lines.append(f"    [{sample.reason}{guess}] {sample.text}")
    return lines


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.stats_command == "cases":
        return _cases(args, settings)
    if args.stats_command == "nlu":
        try:
            print("\n".join(asyncio.run(_misunderstood(settings, args))))
        except DatabaseUnavailable as exc:
            print(f"Opora {exc}", file=sys.stderr)
            return 2
        return 0
    if args.stats_command == "sample":
        start, end = dt.date(2026, 1, 1), dt.date(2026, 9, 30)
        report = asyncio.run(_sample_report(args.cases, start, end))
        write_xlsx(report, args.out / "sample-export.xlsx")
        write_csv(report, args.out / "csv")
        pictures = write_charts(report, args.out / "charts")
        print(
            f"Wrote the sample export of {args.cases} made-up cases and {len(pictures)} charts "
            f"to {args.out}/."
        )
        return 0
    if args.end < args.start:
        print("--to is before --from.", file=sys.stderr)
        return 2
    if args.threshold is None:
        args.threshold = settings.stats.threshold
    if args.threshold < 3:
        print("--threshold below 3 would publish counts that identify people.", file=sys.stderr)
        return 2
    if not _country_checked(args, settings):
        return 2
    try:
        report = asyncio.run(_report(settings, args))
    except DatabaseUnavailable as exc:
        print(f"Opora {exc}", file=sys.stderr)
        return 2
    if args.format == "csv":
        written = write_csv(report, args.out)
        pictures = write_charts(report, args.out)
        print(
            f"Wrote {len(written)} tables (one CSV file per breakdown) and {len(pictures)} "
            f"charts to {args.out}/."
        )
    else:
        path = args.out if args.out.suffix == ".xlsx" else args.out.with_suffix(".xlsx")
        write_xlsx(report, path)
        pictures = write_charts(report, path.with_name(f"{path.stem}-charts"))
        print(
            f"Wrote {path} ({len(report.tables)} sheets, one per breakdown) and "
            f"{len(pictures)} charts to {path.with_name(f'{path.stem}-charts')}/."
        )
    return 0


def write_charts(report: Report, directory: Path) -> list[Path]:
    from bot.stats_charts import charts

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for chart in charts(report):
        path = directory / f"{chart.key}.png"
        path.write_bytes(chart.png)
        written.append(path)
    return written
