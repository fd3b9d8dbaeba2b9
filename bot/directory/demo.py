"""Demo entries from content/services/demo-organisations.yml: real, public organisations, placed
at their city's centre, with no address or phone, flagged so the bot says "verify before going".
They are loaded only while no real directory has been imported."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.directory.cities import CityIndex
from bot.directory.records import SERVICE_TYPES, ServiceRecord

__all__ = ["DEMO_FILE", "demo_records"]

DEMO_FILE = Path("content") / "services" / "demo-organisations.yml"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def demo_records(path: Path, cities: CityIndex) -> tuple[list[ServiceRecord], list[str]]:
    """Records for every demo organisation with a known city and at least one service type;
    the reasons the others are left out."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    records, skipped = [], []
    for entry in entries:
        name, country, city_name = entry.get("name"), entry.get("country"), entry.get("city")
        types = tuple(t for t in entry.get("service_types") or [] if t in SERVICE_TYPES)
        if not city_name or not types:
            skipped.append(f"{name}: {'no city' if not city_name else 'no service described'}")
            continue
        found = cities.find(city_name, country, limit=1)
        if not found or found[0].country != country:
            skipped.append(f"{name}: city {city_name!r} not found in {country}")
            continue
        city = found[0]
        ident = f"demo-{_slug(name)}-{country.lower()}"
        records.append(
            ServiceRecord(
                service_id=ident,
                organization_id=ident,
                organization_name=name,
                organization_url=entry.get("website"),
                service_name=entry.get("local_name") or name,
                description=entry.get("note"),
                types=types,
                location_id=f"{ident}-{_slug(city.name)}",
                latitude=city.latitude,
                longitude=city.longitude,
                city=city.name,
                country=country,
                timezone=city.timezone or None,
                demo=True,
                source=entry.get("source"),
            )
        )
    return records, skipped
