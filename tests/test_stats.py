"""Programme statistics: exact numbers on a known set of cases, small-number protection, and the
export coordinators paste into donor reports."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cases.tables import Case
from bot.crypto import Cipher
from bot.db import Database
from bot.localapi.client import LocalUser, settle
from bot.localapi.world import LocalTelegram
from bot.runner import serving
from bot.settings import ROOT
from bot.stats import Report, case_facts, protect_categories, protect_series, usage_counts
from tests.conftest import KEY, bot_cli, bot_settings, cli_env
from tests.fake_nlu import FakeNlu

T0 = dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)


def _case(n: int, **fields: Any) -> Case:
    base: dict[str, Any] = {
        "code": f"T{n:02d}-AAA"[:7],
        "kind": "report",
        "client": None,
        "language": "ru",
        "country": "KZ",
        "status": "new",
        "submission": f"seed-{n}",
        "created_at": T0,
        "violations": [],
        "perpetrators": [],
        "groups": [],
        "services_given": [],
        "story": "Полицейские забрали документы",
    }
    return Case(**{**base, **fields})


def seeded_cases() -> list[Case]:
    """23 reports and 2 consultations in July to September 2026 (known by construction)."""
    cases = []
    n = 0

    def add(count: int, **fields: Any) -> None:
        nonlocal n
        for _ in range(count):
            n += 1
            cases.append(_case(n, **fields))

    july, august, september = T0, T0 + dt.timedelta(days=31), T0 + dt.timedelta(days=62)
    # 12 by police (KZ, July), 6 by health workers (KZ, August), 3 by family and 2 by an
    # employer (KG, September): 23 reports.
    add(
        12,
        created_at=july,
        city="Алматы",
        perpetrators=["police"],
        violations=["physical", "property"],
        groups=["drugs", "ost"],
        gender="male",
        age_band="19-35",
        status="resolved",
        outcome="full",
        qualified=True,
        services_given=["primary_legal"],
        first_response_at=july + dt.timedelta(hours=2),
        closed_at=july + dt.timedelta(days=10),
    )
    add(
        6,
        created_at=august,
        city=" астана ",
        perpetrators=["health"],
        violations=["medical_access"],
        groups=["hiv"],
        gender="female",
        age_band="36-55",
        status="in_progress",
        qualified=True,
        first_response_at=august + dt.timedelta(hours=6),
    )
    add(
        3,
        created_at=september,
        country="KG",
        perpetrators=["family"],
        violations=["emotional"],
        groups=["sex_work"],
        gender="trans_female",
        age_band="19-35",
        status="resolved",
        outcome="partial",
        qualified=False,
        first_response_at=september + dt.timedelta(hours=30),
        closed_at=september + dt.timedelta(days=20),
    )
    add(2, created_at=september, country="KG", perpetrators=["employer"], violations=["other"])
    add(2, created_at=september, kind="consultation", status="new")
    # Outside the period: not counted.
    add(4, created_at=T0 - dt.timedelta(days=40), perpetrators=["police"])
    return cases


@pytest.fixture
async def database(database_url: str, tmp_path: Path) -> Any:
    db = Database(database_url, Cipher(KEY), ROOT)
    await db.migrate()
    async with db.session() as session:
        session.add_all(seeded_cases())
    yield db
    await db.close()


START, END = dt.date(2026, 7, 1), dt.date(2026, 9, 30)


def stats_env(database_url: str, tmp_path: Path, **values: str) -> dict[str, str]:
    """`python -m bot stats …` on the seeded database."""
    return cli_env(
        DATABASE_URL=database_url,
        OPORA_DATA_KEY=KEY,
        OPORA_DATA_DIR=str(tmp_path / "data"),
        **values,
    )


def chart_title(path: Path) -> str:
    from PIL import Image

    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.size[0] >= 600
        return str(image.info["Title"])


def rows(report: Report, key: str) -> dict[str, str]:
    return {code: value for code, _, value in report.table(key).rows}


async def test_numbers_match_the_seeded_cases(database: Database) -> None:
    report = Report.of(await case_facts(database, START, END), START, END)
    summary = rows(report, "summary")
    assert summary["reports"] == "23"
    assert summary["consultations"] == "<5"  # 2
    assert summary["qualified"] == "18"
    # 15 reports have an outcome: 12 full, 3 partial (too few to publish, even as a share).
    assert summary["resolved_full"] == "80%"
    assert summary["resolved_partial"] == "fewer than 5 cases"
    # First answers: 12 x 2 h, 6 x 6 h, 3 x 30 h -> median 2 h; closing: 12 x 10 d, 3 x 20 d.
    assert summary["first_response"] == "2.0 hours"
    assert summary["closure"] == "10.0 days"
    assert rows(report, "by_month") == {"2026-07": "12", "2026-08": "6", "2026-09": "5"}
    # Per month and type: September's 3 "insults" and 2 "something else" merge into 5.
    assert rows(report, "by_month_violation") == {
        "2026-07:physical": "12",
        "2026-07:property": "12",
        "2026-08:medical_access": "6",
        "2026-09:other_small": "5",
    }
    assert rows(report, "by_perpetrator") == {"police": "12", "health": "6", "other_small": "5"}
    assert rows(report, "by_country") == {"KZ": "18", "KG": "5"}
    # 12 in Almaty, 6 typed as " астана " (written one way in the table), 5 with no town.
    assert rows(report, "by_town") == {"Алматы": "12", "Астана": "6", "not_given": "5"}
    assert rows(report, "by_violation") == {
        "physical": "12",
        "property": "12",
        "medical_access": "6",
        "other_small": "5",
    }
    assert rows(report, "by_gender") == {"male": "12", "female": "6", "other_small": "5"}
    # 12 full and 3 partial: the 3 alone would be given away by the total, so both merge.
    assert rows(report, "by_outcome") == {"other_small": "15"}
    # 15 resolved, 6 in progress, 4 new (2 reports, 2 consultations): the 4 merge with the 6.
    assert rows(report, "by_status") == {"resolved": "15", "other_small": "10"}
    # One country only.
    kz = Report.of(await case_facts(database, START, END, "KZ"), START, END, "KZ")
    assert rows(kz, "summary")["reports"] == "18"
    assert rows(kz, "by_month") == {"2026-07": "12", "2026-08": "6", "2026-09": "0"}


async def test_no_published_count_identifies_a_person(database: Database) -> None:
    report = Report.of(await case_facts(database, START, END), START, END)
    for table in report.tables:
        for _, _, value in table.rows:
            if value.isdigit():
                assert value == "0" or int(value) >= 5, (table.key, value)
    # The 3 reports by family and 2 by an employer are never shown as 3 and 2.
    perpetrators = {label: value for _, label, value in report.table("by_perpetrator").rows}
    assert "Partner or family" not in perpetrators and "Employer" not in perpetrators
    # A stricter threshold hides more, never less.
    strict = Report.of(await case_facts(database, START, END), START, END, threshold=10)
    assert rows(strict, "by_month") == {"2026-07": "12", "2026-08": "<10", "2026-09": "<10"}
    # 12 first answers within 4 hours, 6 within a day, 3 within 3 days: the 3 are hidden, and
    # so are the 6, or the 3 would follow from the total.
    assert rows(report, "by_response") == {
        "1_hour": "0",
        "2_4_hours": "12",
        "3_day": "hidden",
        "4_3_days": "<5",
        "5_later": "0",
    }


@given(st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 40), max_size=8))
def test_categories_are_merged_until_nothing_can_be_worked_out(counts: dict[str, int]) -> None:
    threshold = 5
    published = protect_categories(counts, {}, threshold)
    total = sum(counts.values())
    numbers = [int(v) for _, _, v in published if v.isdigit()]
    assert all(n >= threshold for n in numbers)
    hidden = [v for _, _, v in published if not v.isdigit()]
    if hidden:
        # Only when everything was merged, so the hidden row is the whole total.
        assert published == [("other_small", "Other (fewer than 5 each)", "<5")]
        assert total < threshold
    else:
        assert sum(numbers) == total


@given(st.dictionaries(st.sampled_from(["01", "02", "03", "04"]), st.integers(0, 12), min_size=1))
def test_a_single_small_month_cannot_be_worked_out(counts: dict[str, int]) -> None:
    cells = protect_series(counts, 5)
    hidden = [key for key, value in cells.items() if not value.isdigit()]
    nonzero = [key for key, n in counts.items() if n > 0]
    assert len(hidden) != 1 or len(nonzero) == 1
    for key, value in cells.items():
        assert value in {"<5", "hidden"} or int(value) == counts[key]
        assert value != "<5" or 0 < counts[key] < 5


async def test_export_as_workbook_and_csv(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "exports"
    env = stats_env(database_url, tmp_path)
    args = ["stats", "export", "--from", "2026-07-01", "--to", "2026-09-30"]
    book = bot_cli(*args, "--format", "xlsx", "--out", str(out / "q3.xlsx"), env=env)
    assert book.returncode == 0, book.stderr
    workbook = load_workbook(out / "q3.xlsx")
    assert workbook.sheetnames[0] == "summary"
    assert {"by_month", "by_country", "by_perpetrator", "by_response"} <= set(workbook.sheetnames)
    # The charts beside it: valid PNGs with their titles inside.
    titles = {chart_title(path) for path in (out / "q3-charts").glob("*.png")}
    assert titles == {
        "Reports of violations per month",
        "Violations per month, by type",
        "Violations reported",
        "Who committed the violations",
        "Outcomes of closed reports",
        "Time to a paralegal's first answer",
    }
    sheet = workbook["by_perpetrator"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert ["police", "Police", 12] in values
    assert values[0][0] == "Who committed them"
    csvs = bot_cli(*args, "--country", "kz", "--format", "csv", "--out", str(out / "q3"), env=env)
    assert csvs.returncode == 0, csvs.stderr
    month = (out / "q3" / "by_month.csv").read_text(encoding="utf-8")
    assert "2026-07,2026-07,12" in month and "KZ" in month
    everything = month + "".join(p.read_text("utf-8") for p in (out / "q3").glob("*.csv"))
    # Aggregates only: no case code, no story.
    assert "T01" not in everything and "Полицейские" not in everything
    backwards = ["stats", "export", "--from", "2026-09-30", "--to", "2026-07-01"]
    wrong = bot_cli(*backwards, "--out", str(out / "x"), env=env)
    assert wrong.returncode == 2 and "before" in wrong.stderr


COORDINATOR, CLIENT = 9401, 9402


async def test_stats_in_telegram_for_coordinators_only(
    database: Database,
    make_settings: Any,
    database_url: str,
    telegram: LocalTelegram,
    nlu: FakeNlu,
) -> None:
    settings = bot_settings(
        make_settings,
        database_url,
        telegram,
        nlu,
        OPORA_PARALEGALS__COORDINATORS=f"[{COORDINATOR}]",
    )
    coordinator = LocalUser(telegram, COORDINATOR, "Dana", "en")
    client = LocalUser(telegram, CLIENT, "Ann", "ru")
    async with serving(settings):
        refused = await client.say("/stats 2026-Q3")
        assert [shown.text for shown in refused] == [
            "Эта команда только для координаторов программы."
        ]
        shown = await coordinator.say("/stats 2026-Q3 kz", timeout=30)
        deadline = time.monotonic() + 30
        while len(telegram.uploads) < 6 and time.monotonic() < deadline:
            await settle(telegram)  # the charts come one after another
        usage = await coordinator.say("/stats last-year")
    summary = shown[0].text
    assert "2026-07-01 to 2026-09-30, KZ" in summary
    assert "Reports of violations: 18" in summary
    assert "Median time to a paralegal's first answer: 2.0 hours" in summary
    photos = [s.raw for s in coordinator.messages() if "photo" in s.raw]
    assert [p["caption"] for p in photos] == [
        "Reports of violations per month",
        "Violations per month, by type",
        "Violations reported",
        "Who committed the violations",
        "Outcomes of closed reports",
        "Time to a paralegal's first answer",
    ]
    for photo in photos:
        content = telegram.uploads[photo["photo"][0]["file_id"]]
        assert content.startswith(b"\x89PNG\r\n\x1a\n") and photo["photo"][0]["width"] >= 800
    assert usage[-1].text.startswith("Use: /stats [period] [country]")
    # The client saw no numbers and no charts.
    assert not [s for s in client.messages() if "photo" in s.raw or "18" in s.text]


def test_periods() -> None:
    from bot.coordinators import parse_period

    today = dt.date(2026, 12, 5)
    assert parse_period("2026-Q4", today) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert parse_period("2026-q1", today) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert parse_period("2026-02", today) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert parse_period("2025", today) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert parse_period("30d", today) == (dt.date(2026, 11, 6), today)
    assert parse_period("2026-13", today) is None
    assert parse_period("yesterday", today) is None


async def test_usage_is_counted_and_only_opted_in_texts_are_kept(
    make_settings: Any, database_url: str, telegram: LocalTelegram, nlu: FakeNlu, tmp_path: Path
) -> None:
    from sqlalchemy import create_engine, text

    from bot.db.database import resolve_url
    from bot.retention import apply_retention

    nlu.script.answers["where can i get tested"] = [("hiv_testing", 0.97)]
    nlu.script.answers["blorp zib test"] = [("hiv_testing", 0.3), ("pep", 0.25)]
    settings = bot_settings(make_settings, database_url, telegram, nlu)
    helper = LocalUser(telegram, 9501, "A", "en")
    other = LocalUser(telegram, 9502, "B", "en")
    async with serving(settings) as application:
        for person in (helper, other):
            await person.say("/start")
            await person.press("English")
            await person.press("Moldova")
            await person.press("Understood")
        await helper.say("/privacy")
        shown = await helper.press("Help improve Opora")
        assert "30 days" in shown[0].text
        shown = await helper.press("Yes, keep such messages")
        assert "🛠 Help improve Opora: yes" in [b.label for b in shown[0].buttons]
        await helper.say("my cat sings opera")  # not placed (out of scope)
        await helper.say("blorp zib test")  # "Did you mean"
        await helper.press("HIV test")
        await other.say("their dog reads novels")  # not placed, but not opted in
        await other.say("where can i get tested")
        services = application.bot_data.services
        await services.usage.flush()
        database = services.database
        counts = await usage_counts(database, dt.date(2026, 1, 1), dt.date(2030, 1, 1))
    seen = {(metric, key): n for _, metric, _, key, n in counts}
    assert seen[("free_text", "")] == 4
    assert seen[("not_placed", "")] == 2
    assert seen[("did_you_mean", "hiv_testing")] == 1
    assert seen[("chosen", "hiv_testing")] == 1
    assert seen[("intent", "hiv_testing")] == 1
    assert seen[("conversation", "")] >= 1
    # Kept: the helper's two texts, encrypted; nothing of the other person's.
    _, sync_url = resolve_url(settings.database.url, ROOT)
    engine = create_engine(sync_url)
    with engine.connect() as connection:
        raw = repr(connection.execute(text("SELECT * FROM nlu_samples")).all())
    engine.dispose()
    assert raw.count("not_placed") == 1 and raw.count("did_you_mean") == 1
    assert "cat sings" not in raw and "dog reads" not in raw
    env = stats_env(database_url, tmp_path)
    view = bot_cli("stats", "nlu", "--texts", env=env)
    assert view.returncode == 0, view.stderr
    assert 'en: 4 free-text messages; not placed 2 (50%); "Did you mean" 1 (25%)' in view.stdout
    assert "my cat sings opera" in view.stdout and "blorp zib test" in view.stdout
    assert "their dog reads novels" not in view.stdout
    assert "my cat sings" not in bot_cli("stats", "nlu", env=env).stdout
    # After 30 days the texts are gone; the counts stay.
    database = Database(database_url, Cipher(KEY), ROOT)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    retained = await apply_retention(database, settings.retention, now=later)
    assert retained.samples_deleted == 2
    assert await usage_counts(database, dt.date(2026, 1, 1), dt.date(2030, 1, 1)) == counts
    await database.close()


async def test_case_level_export_is_pseudonymised_and_narratives_are_audited(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    import csv

    from sqlalchemy import func, select

    from bot.cases.tables import CaseEvent

    env = stats_env(database_url, tmp_path, OPORA_PARALEGALS__COORDINATORS=f"[{COORDINATOR}]")
    period = ["stats", "cases", "--from", "2026-07-01", "--to", "2026-09-30"]
    plain = bot_cli(*period, "--out", str(tmp_path / "cases.csv"), env=env)
    assert plain.returncode == 0, plain.stderr
    with (tmp_path / "cases.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 25
    assert rows[0]["code"] == "T01-AAA" and rows[0]["perpetrators"] == "police"
    assert rows[0]["hours_to_first_answer"] == "2.0"
    assert "narrative" not in rows[0] and "client" not in rows[0]
    assert "Полицейские" not in (tmp_path / "cases.csv").read_text(encoding="utf-8")

    refused = bot_cli(*period, "--with-narratives", "--out", str(tmp_path / "x.csv"), env=env)
    assert refused.returncode == 2 and not (tmp_path / "x.csv").exists()
    stranger = bot_cli(
        *period,
        "--with-narratives",
        "--coordinator",
        "1",
        "--out",
        str(tmp_path / "x.csv"),
        env=env,
    )
    assert stranger.returncode == 2
    async with database.session() as session:
        assert not await session.scalar(
            select(func.count()).where(CaseEvent.action == "exported_narrative")
        )

    full = bot_cli(
        *period,
        "--with-narratives",
        "--coordinator",
        str(COORDINATOR),
        "--out",
        str(tmp_path / "cases.xlsx"),
        env=env,
    )
    assert full.returncode == 0, full.stderr
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "cases.xlsx")["cases"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][-1] == "narrative" and values[1][-1] == "Полицейские забрали документы"
    async with database.session() as session:
        audited = list(
            await session.scalars(
                select(CaseEvent.actor).where(CaseEvent.action == "exported_narrative")
            )
        )
    assert audited == [f"coordinator:{COORDINATOR}"] * 25
