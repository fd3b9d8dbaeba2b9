"""Nearest services: a bounding-box prefilter in SQL (indexed latitude/longitude), then exact
great-circle distance in Python, widening the box until the nearest are certain."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from bot.db import Database
from bot.directory.records import SERVICE_TYPES, ServiceRecord, is_open, type_mask
from bot.directory.store import fetch_records
from bot.directory.tables import ServiceAtLocation

__all__ = ["EARTH_RADIUS_KM", "Found", "distance_km", "nearest"]

EARTH_RADIUS_KM = 6371.0088
HALF_CIRCUMFERENCE_KM = math.pi * EARTH_RADIUS_KM
# Each round searches a box this many km around the point, until enough are found inside it.
RADII_KM = (2.0, 8.0, 32.0, 128.0, 512.0, 2048.0, HALF_CIRCUMFERENCE_KM)
OFFERED = ("active", "temporarily closed")


@dataclass(frozen=True)
class Found:
    record: ServiceRecord
    distance_km: float
    open_now: bool | None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _box(
    lat: float, lon: float, radius_km: float
) -> tuple[float, float, list[tuple[float, float]]]:
    """Latitude range and longitude ranges that contain every point within radius_km."""
    angle = radius_km / EARTH_RADIUS_KM
    lat_min, lat_max = lat - math.degrees(angle), lat + math.degrees(angle)
    if lat_min <= -90 or lat_max >= 90 or angle >= math.pi / 2:
        return max(lat_min, -90.0), min(lat_max, 90.0), [(-180.0, 180.0)]
    dlon = math.degrees(math.asin(min(1.0, math.sin(angle) / math.cos(math.radians(lat)))))
    low, high = lon - dlon, lon + dlon
    if low < -180:
        return lat_min, lat_max, [(low + 360, 180.0), (-180.0, high)]
    if high > 180:
        return lat_min, lat_max, [(low, 180.0), (-180.0, high - 360)]
    return lat_min, lat_max, [(low, high)]


async def nearest(
    database: Database,
    latitude: float,
    longitude: float,
    *,
    types: tuple[str, ...] = (),
    limit: int = 5,
    offset: int = 0,
    open_now: bool = False,
    max_km: float | None = None,
    now: dt.datetime | None = None,
) -> list[Found]:
    """The nearest offered services of the given types, nearest first (ties by id)."""
    unknown = [t for t in types if t not in SERVICE_TYPES]
    if unknown:
        raise ValueError(f"unknown service type {', '.join(unknown)}")
    now = now or dt.datetime.now(dt.UTC)
    wanted = offset + limit
    mask = type_mask(types)
    async with database.session() as session:
        # A type filter thins the points out: the smallest box rarely holds five of them.
        for radius in RADII_KM[1:] if mask else RADII_KM:
            radius = min(radius, max_km) if max_km is not None else radius
            lat_min, lat_max, lon_ranges = _box(latitude, longitude, radius)
            at = ServiceAtLocation
            query = select(at.id, at.latitude, at.longitude).where(
                at.latitude.between(lat_min, lat_max),
                or_(*(at.longitude.between(low, high) for low, high in lon_ranges)),
                at.status.in_(OFFERED),
            )
            if mask:
                query = query.where(and_(at.type_mask.op("&")(mask) != 0))
            rows = (await session.execute(query)).all()
            inside = sorted(
                (d, ident)
                for ident, lat, lon in rows
                if (d := distance_km(latitude, longitude, lat, lon)) <= radius
            )
            last_round = radius >= (max_km if max_km is not None else HALF_CIRCUMFERENCE_KM)
            if not open_now and (len(inside) >= wanted or last_round):
                chosen = inside[offset:wanted]
                records = await fetch_records(
                    session, [ident for _, ident in chosen], with_phones=False
                )
                return [
                    Found(records[i], d, is_open(records[i].hours, records[i].timezone, now))
                    for d, i in chosen
                ]
            if open_now and (len(inside) >= wanted or last_round):
                records = await fetch_records(
                    session, [ident for _, ident in inside], with_phones=False
                )
                found = [
                    Found(records[i], d, True)
                    for d, i in inside
                    if is_open(records[i].hours, records[i].timezone, now)
                ]
                if len(found) >= wanted or last_round:
                    return found[offset:wanted]
    return []
