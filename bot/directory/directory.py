"""The directory as the bot uses it: search, city names, and the demo entries on first start."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.db import Database
from bot.directory.cities import City, CityIndex
from bot.directory.demo import demo_records
from bot.directory.search import Found, nearest
from bot.directory.store import count_entries, import_records

__all__ = ["Directory"]

log = logging.getLogger(__name__)


class Directory:
    def __init__(self, database: Database, countries: tuple[str, ...], demo_file: Path) -> None:
        self.database = database
        self.countries = countries
        self.demo_file = demo_file
        self._cities: CityIndex | None = None

    async def open(self) -> None:
        """Read the city names, and load the demo entries if no directory was imported yet."""
        self._cities = await asyncio.to_thread(CityIndex.load, self.countries)
        total, _ = await count_entries(self.database)
        if total == 0 and self.demo_file.exists():
            records, skipped = demo_records(self.demo_file, self._cities)
            await import_records(self.database, records)
            log.info(
                "Directory empty: loaded %d demo entries (%d left out)", len(records), len(skipped)
            )

    @property
    def cities(self) -> CityIndex:
        if self._cities is None:
            raise RuntimeError("Directory.open() reads the city names")
        return self._cities

    def find_city(self, text: str, country: str | None) -> list[City]:
        return self.cities.find(text, country)

    async def nearest(
        self,
        latitude: float,
        longitude: float,
        types: tuple[str, ...],
        *,
        limit: int = 5,
        offset: int = 0,
        max_km: float | None = None,
    ) -> list[Found]:
        return await nearest(
            self.database,
            latitude,
            longitude,
            types=types,
            limit=limit,
            offset=offset,
            max_km=max_km,
        )
