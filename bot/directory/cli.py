"""`python -m bot services import|export|near|city`: the directory from the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from bot.db import Database, DatabaseUnavailable, configured
from bot.directory.cities import CityIndex
from bot.directory.demo import DEMO_FILE
from bot.directory.directory import Directory
from bot.directory.formats import read_directory, write_directory
from bot.directory.records import SERVICE_TYPES
from bot.directory.search import Found, nearest
from bot.directory.store import (
    delete_demo,
    export_records,
    import_records,
)
from bot.settings import ROOT, Settings

__all__ = ["add_commands", "run"]


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    services = commands.add_parser("services", help="the service directory: import, search")
    sub = services.add_subparsers(
        dest="services_command", required=True, metavar="SERVICES_COMMAND"
    )
    load = sub.add_parser("import", help="import a flattened CSV or HSDS JSON file")
    load.add_argument("file", type=Path)
    load.add_argument(
        "--partial", action="store_true", help="import the good rows of a file with bad ones"
    )
    load.add_argument("--keep-demo", action="store_true", help="keep the demo entries")
    dump = sub.add_parser("export", help="write the directory as CSV, or HSDS JSON for *.json")
    dump.add_argument("file", type=Path)
    near = sub.add_parser("near", help="nearest services as JSON lines, nearest first")
    near.add_argument("--lat", type=float, required=True)
    near.add_argument("--lon", type=float, required=True)
    near.add_argument("--type", action="append", choices=SERVICE_TYPES, default=[])
    near.add_argument("--limit", type=int, default=5)
    near.add_argument("--open-now", action="store_true")
    city = sub.add_parser("city", help="which cities a typed name may be, as JSON lines")
    city.add_argument("name")
    city.add_argument("--country", default=None)


def found_json(found: Found) -> dict[str, Any]:
    r = found.record
    return {
        "id": r.id,
        "name": r.service_name,
        "organization": r.organization_name,
        "distance_km": round(found.distance_km, 3),
        "types": list(r.types),
        "city": r.city,
        "country": r.country,
        "latitude": r.latitude,
        "longitude": r.longitude,
        "open_now": found.open_now,
        "languages": list(r.languages),
        "free": r.free,
        "anonymous": r.anonymous,
        "status": r.status,
        "alert": r.alert,
        "assured_date": r.assured_date.isoformat() if r.assured_date else None,
        "demo": r.demo,
    }


def _database(settings: Settings) -> Database:
    return configured(settings)


async def _import(args: argparse.Namespace, database: Database) -> int:
    records, problems = read_directory(args.file)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems and not args.partial:
        print(
            f"{len(problems)} problem(s): nothing imported. Fix them, or import the "
            f"{len(records)} good row(s) with --partial.",
            file=sys.stderr,
        )
        return 1
    if not records:
        print("No rows to import.", file=sys.stderr)
        return 1
    result = await import_records(database, records)
    removed = 0 if args.keep_demo or all(r.demo for r in records) else await delete_demo(database)
    print(
        f"Imported {len(records)} service location(s): {result.added} new, {result.updated} "
        f"updated" + (f"; {removed} demo entries removed" if removed else "") + "."
    )
    return 0


async def _export(args: argparse.Namespace, database: Database) -> int:
    count = write_directory(args.file, await export_records(database))
    print(f"Wrote {count} service location(s) to {args.file}.")
    return 0


async def _near(args: argparse.Namespace, database: Database) -> int:
    if not (-90 <= args.lat <= 90 and -180 <= args.lon <= 180) or args.limit < 1:
        print("--lat must be -90..90, --lon -180..180, --limit 1 or more", file=sys.stderr)
        return 2
    results = await nearest(
        database,
        args.lat,
        args.lon,
        types=tuple(args.type),
        limit=args.limit,
        open_now=args.open_now,
    )
    for found in results:
        print(json.dumps(found_json(found), ensure_ascii=False))
    return 0


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    database = _database(settings)
    try:
        await database.migrate()
        if args.services_command != "import":
            # What the bot would serve: the demo entries until a real directory is imported.
            await Directory(database, settings.countries, ROOT / DEMO_FILE).open()
        command = {"import": _import, "export": _export, "near": _near}[args.services_command]
        return await command(args, database)
    except DatabaseUnavailable as exc:
        print(f"Opora {exc}", file=sys.stderr)
        return 2
    finally:
        await database.close()


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.services_command == "city":
        index = CityIndex.load(settings.countries)
        for city in index.find(args.name, args.country):
            print(
                json.dumps(
                    {
                        "name": city.name,
                        "country": city.country,
                        "latitude": city.latitude,
                        "longitude": city.longitude,
                        "population": city.population,
                    },
                    ensure_ascii=False,
                )
            )
        return 0
    return asyncio.run(_run(args, settings))
