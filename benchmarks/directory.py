"""Directory benchmark: importing 100,000 services and the nearest-5 query, SQLite and PostgreSQL.

Run: .venv/bin/python benchmarks/directory.py [--count 100000] [--queries 500]
Prints the import time (CSV file → database, with validation) and p50/p95/p99 of nearest-5 queries
at random points across the region, with and without a type filter, and checks a sample of the
answers against a brute-force scan.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from bot.crypto import Cipher, generate_key
from bot.db import Database
from bot.directory.formats import CSV_COLUMNS, read_directory
from bot.directory.records import SERVICE_TYPES, ServiceRecord
from bot.directory.search import distance_km, nearest
from bot.directory.store import import_records
from bot.settings import ROOT

PG_ADMIN = os.environ.get("OPORA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
# Roughly the region: from Serbia (19° E) to eastern Kazakhstan (87° E).
LAT, LON = (38.0, 55.0), (19.0, 87.0)


def write_csv(path: Path, count: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for n in range(count):
            writer.writerow(
                {
                    **dict.fromkeys(CSV_COLUMNS, ""),
                    "service_id": f"s{n}",
                    "organization_id": f"o{n // 3}",
                    "organization_name": f"Organisation {n // 3}",
                    "service_name": f"Service {n}",
                    "service_types": " ".join(rng.sample(SERVICE_TYPES, rng.randint(1, 3))),
                    "location_id": f"l{n}",
                    "latitude": f"{rng.uniform(*LAT):.6f}",
                    "longitude": f"{rng.uniform(*LON):.6f}",
                    "country": "KZ",
                    "timezone": "Asia/Almaty",
                    "hours": "Mo-Fr 09:00-18:00",
                    "languages": "ru kk",
                    "free": "yes",
                    "status": "active",
                }
            )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(url: str, label: str, csv_path: Path, queries: int) -> None:
    database = Database(url, Cipher(generate_key()), ROOT)
    await database.migrate()
    started = time.perf_counter()
    records, problems = read_directory(csv_path)
    assert not problems, problems[:3]
    parsed = time.perf_counter() - started
    await import_records(database, records)
    total = time.perf_counter() - started
    print(
        f"{label}: import {len(records):,} rows: {total:.1f} s (reading+validating {parsed:.1f} s)"
    )
    rng = random.Random(2)
    points = [(rng.uniform(*LAT), rng.uniform(*LON)) for _ in range(queries)]
    for types in ((), ("naloxone",)):
        times = []
        for lat, lon in points:
            t0 = time.perf_counter()
            await nearest(database, lat, lon, types=types, limit=5)
            times.append((time.perf_counter() - t0) * 1000)
        print(
            f"{label}: nearest-5 {'all types' if not types else types[0]}: p50 "
            f"{statistics.median(times):.2f} ms, p95 {percentile(times, 0.95):.2f} ms, "
            f"p99 {percentile(times, 0.99):.2f} ms over {queries} queries"
        )
    await check_brute_force(database, records, points[:20])
    await database.close()


async def check_brute_force(
    database: Database, records: list[ServiceRecord], points: list[tuple[float, float]]
) -> None:
    for lat, lon in points:
        got = [f.record.id for f in await nearest(database, lat, lon, limit=5)]
        wanted = [
            r.id
            for _, r in sorted(
                ((distance_km(lat, lon, r.latitude, r.longitude), r) for r in records),
                key=lambda x: (x[0], x[1].id),
            )[:5]
        ]
        assert got == wanted, (lat, lon, got, wanted)
    print(f"  brute-force check: {len(points)} points identical")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "directory.csv"
        write_csv(csv_path, args.count)
        asyncio.run(run(f"sqlite:///{folder}/bench.sqlite3", "SQLite", csv_path, args.queries))
        name = f"opora_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
            asyncio.run(run(f"{base}/{name}", "PostgreSQL", csv_path, args.queries))
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
