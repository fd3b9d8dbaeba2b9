"""The directory without Telegram: import validation, idempotent re-import, export round trip,
nearest search against brute force (SQLite and PostgreSQL), towns by name, opening hours."""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.crypto import Cipher, generate_key
from bot.db import Database
from bot.directory.cities import CityIndex
from bot.directory.formats import CSV_COLUMNS, read_directory, write_directory
from bot.directory.records import ServiceRecord, is_open, parse_hours
from bot.directory.search import distance_km, nearest
from bot.directory.store import export_records, import_records
from bot.settings import ROOT
from tests.conftest import bot_cli

GOOD = {
    "service_id": "svc-1",
    "organization_id": "org-1",
    "organization_name": "Example NGO",
    "service_name": "Testing",
    "service_types": "hiv_testing sti",
    "location_id": "loc-1",
    "latitude": "43.25",
    "longitude": "76.95",
    "city": "Almaty",
    "country": "KZ",
    "timezone": "Asia/Almaty",
    "phones": "+7 700 000 0000 [ru kk]",
    "languages": "ru kk",
    "hours": "Mo-Fr 09:00-18:00; Sa 10:00-14:00",
    "free": "yes",
    "anonymous": "yes",
    "status": "active",
    "assured_date": "2026-10-01",
}

BAD_ROWS = [
    ({"latitude": "95"}, "latitude 95.0 is out of range"),
    ({"longitude": "east"}, "longitude 'east' is not a number"),
    ({"service_types": "hiv_testing syringes"}, "unknown service type syringes"),
    ({"hours": "weekdays 9 to 6"}, "hours:"),
    ({"hours": "Mo-Fr 09:00-25:00"}, "is not a time of day"),
    ({"organization_name": ""}, "organization_name is required"),
    ({"assured_date": "01.10.2026"}, "is not a date"),
    ({"status": "open"}, "status 'open' is not one of"),
    ({"timezone": "Almaty"}, "is not an IANA zone"),
    ({"timezone": ""}, "hours need a timezone"),
    ({"phones": "call us"}, "phone 'call us'"),
    ({"free": "maybe"}, "free must be yes or no"),
    ({"country": "Kazakhstan"}, "must be an ISO code"),
    ({"service_id": "svc 1/2"}, "may only hold letters"),
]


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in CSV_COLUMNS})
    return path


def _row(n: int, **changes: str) -> dict[str, str]:
    return {**GOOD, "service_id": f"svc-{n}", "location_id": f"loc-{n}", **changes}


@pytest.mark.parametrize(("change", "reason"), BAD_ROWS)
def test_each_bad_row_is_reported_with_its_line(
    tmp_path: Path, change: dict[str, str], reason: str
) -> None:
    path = _csv(tmp_path / "in.csv", [_row(1), _row(2, **change), _row(3)])
    records, problems = read_directory(path)
    assert [r.service_id for r in records] == ["svc-1", "svc-3"]
    assert {p.line for p in problems} == {3}
    assert any(reason in p.reason for p in problems), problems


def test_duplicates_and_missing_columns(tmp_path: Path) -> None:
    _, problems = read_directory(_csv(tmp_path / "dup.csv", [_row(1), _row(1)]))
    assert [(p.line, "duplicate of line 2" in p.reason) for p in problems] == [(3, True)]
    broken = tmp_path / "cols.csv"
    broken.write_text("name,lat\nX,1\n", encoding="utf-8")
    records, problems = read_directory(broken)
    assert not records and "missing column(s): service_id" in problems[0].reason


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url, Cipher(generate_key()), ROOT)
    await db.migrate()
    yield db
    await db.close()


CLI_KEY = generate_key()


def _cli(*args: str, env_db: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    import os

    env = {
        **os.environ,
        "OPORA_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": env_db,
        "OPORA_DATA_KEY": CLI_KEY,  # one key: the database remembers which key wrote it
    }
    return bot_cli("services", *args, env=env)


def test_import_is_all_or_nothing_unless_partial(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path}/dir.sqlite3"
    path = _csv(tmp_path / "in.csv", [_row(1), _row(2, latitude="95"), _row(3)])
    refused = _cli("import", str(path), env_db=db_url, tmp_path=tmp_path)
    assert refused.returncode == 1
    assert f"{path}:3: latitude 95.0 is out of range" in refused.stderr
    assert "nothing imported" in refused.stderr
    partial = _cli("import", str(path), "--partial", env_db=db_url, tmp_path=tmp_path)
    assert partial.returncode == 0 and "2 new" in partial.stdout
    again = _cli("import", str(path), "--partial", env_db=db_url, tmp_path=tmp_path)
    assert "0 new, 2 updated" in again.stdout
    near = _cli(
        "near", "--lat", "43.2", "--lon", "76.9", "--type", "sti", env_db=db_url, tmp_path=tmp_path
    )
    lines = [json.loads(line) for line in near.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["svc-1@loc-1", "svc-3@loc-3"]
    assert lines[0]["distance_km"] == pytest.approx(
        distance_km(43.2, 76.9, 43.25, 76.95), abs=0.001
    )
    assert set(lines[0]) >= {"id", "name", "distance_km", "types"}


async def test_reimport_is_idempotent_and_export_round_trips(
    database: Database, tmp_path: Path
) -> None:
    records, problems = read_directory(_csv(tmp_path / "in.csv", [_row(n) for n in range(1, 6)]))
    assert not problems
    first = await import_records(database, records)
    second = await import_records(database, records)
    assert (first.added, first.updated) == (5, 0)
    assert (second.added, second.updated) == (0, 5)
    exported = await export_records(database)
    # Demo entries are loaded by the bot, not by a bare database: only ours are here.
    assert sorted(r.id for r in exported) == sorted(r.id for r in records)
    for name in ("out.csv", "out.json"):
        write_directory(tmp_path / name, exported)
        again, problems = read_directory(tmp_path / name)
        assert not problems
        assert sorted(again, key=lambda r: r.id) == sorted(records, key=lambda r: r.id)


def _random_records(count: int, seed: int) -> list[ServiceRecord]:
    rng = random.Random(seed)
    places = [(rng.uniform(36, 56), rng.uniform(20, 88)) for _ in range(count - 40)]
    # Places where boxes are easy to get wrong: the antimeridian and both poles.
    places += [
        (rng.uniform(-70, 70), rng.choice([179.99, -179.99]) - rng.uniform(-0.5, 0.5) % 0.01)
        for _ in range(20)
    ]
    places += [
        (rng.choice([89.7, -89.7]) + rng.uniform(-0.2, 0.2), rng.uniform(-180, 180))
        for _ in range(20)
    ]
    types = ("hiv_testing", "ost", "needle_syringe", "naloxone", "legal_aid")
    return [
        ServiceRecord(
            service_id=f"s{n}",
            organization_id=f"o{n}",
            organization_name=f"Org {n}",
            service_name=f"Service {n}",
            types=(types[n % len(types)],),
            location_id=f"l{n}",
            latitude=round(lat, 6),
            longitude=round(lon, 6),
            country="KZ",
        )
        for n, (lat, lon) in enumerate(places)
    ]


async def test_nearest_matches_brute_force_everywhere(database: Database) -> None:
    records = _random_records(1500, seed=7)
    await import_records(database, records)
    rng = random.Random(11)
    points = [(rng.uniform(36, 56), rng.uniform(20, 88)) for _ in range(25)]
    points += [(10.0, 179.95), (-20.0, -179.95), (89.9, 0.0), (-89.9, 120.0), (0.0, 0.0)]
    for lat, lon in points:
        for types in ((), ("ost",), ("naloxone", "legal_aid")):
            got = await nearest(database, lat, lon, types=types, limit=5)
            wanted = sorted(
                (distance_km(lat, lon, r.latitude, r.longitude), r.id)
                for r in records
                if not types or set(r.types) & set(types)
            )[:5]
            assert [f.record.id for f in got] == [ident for _, ident in wanted], (lat, lon, types)
            assert [round(f.distance_km, 6) for f in got] == [round(d, 6) for d, _ in wanted]


async def test_open_now_and_hours(database: Database) -> None:
    records, _ = read_directory(_csv_path_for_hours())
    await import_records(database, records)
    monday_noon = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)  # 12:00 in Almaty (UTC+5)
    sunday = dt.datetime(2026, 11, 29, 7, 0, tzinfo=dt.UTC)
    found = await nearest(database, 43.25, 76.95, open_now=True, now=monday_noon)
    assert [f.record.service_id for f in found] == ["weekdays"]
    assert await nearest(database, 43.25, 76.95, open_now=True, now=sunday) == []
    night = parse_hours("Fr,Sa 20:00-02:00")
    saturday_1am = dt.datetime(2026, 11, 28, 20, 0, tzinfo=dt.UTC)  # Sat 01:00 in Almaty
    assert is_open(night, "Asia/Almaty", saturday_1am) is True
    assert is_open(night, None, saturday_1am) is None


def _csv_path_for_hours() -> Path:
    import tempfile

    folder = Path(tempfile.mkdtemp())
    return _csv(
        folder / "hours.csv",
        [
            _row(1, service_id="weekdays", hours="Mo-Fr 09:00-18:00"),
            _row(2, service_id="evenings", hours="Mo-Fr 19:00-22:00"),
        ],
    )


@pytest.mark.parametrize(
    ("typed", "city", "country"),
    [
        ("Алматы", "Almaty", "KZ"),
        ("almaty", "Almaty", "KZ"),
        ("Алмата", "Almaty", "KZ"),
        ("Ош", "Osh", "KG"),
        ("Бишкек", "Bishkek", "KG"),
        ("Khujand", "Khujand", "TJ"),
        ("Хуҷанд", "Khujand", "TJ"),
        ("Худжанд", "Khujand", "TJ"),
        ("Кишинэу", "Chisinau", "MD"),
        ("Chișinău", "Chisinau", "MD"),
        ("kishinev", "Chisinau", "MD"),
        ("Бэлць", "Bălţi", "MD"),
        ("Київ", "Kyiv", "UA"),
        ("Odessa", "Odesa", "UA"),
        ("Beograd", "Belgrade", "RS"),
        ("Београд", "Belgrade", "RS"),
        ("Podgorica", "Podgorica", "ME"),
        ("Қарағанды", "Karagandy", "KZ"),
        ("Shymkentt", "Shymkent", "KZ"),
    ],
)
def test_towns_are_found_in_any_script_and_with_typos(typed: str, city: str, country: str) -> None:
    index = CityIndex.load(("KZ", "KG", "TJ", "UA", "RS", "ME", "MD"))
    found = index.find(typed)
    assert found and (found[0].name, found[0].country) == (city, country)


def test_nonsense_is_no_town() -> None:
    index = CityIndex.load(("KZ", "KG", "TJ", "UA", "RS", "ME", "MD"))
    assert index.find("qwxzzy") == [] and index.find("1") == []
