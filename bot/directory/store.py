"""Directory storage: idempotent import (upsert by the source's stable ids), export, lookup."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.directory.records import Opening, Phone, ServiceRecord, parse_hours, type_mask
from bot.directory.tables import (
    Location,
    Organization,
    Schedule,
    Service,
    ServiceAtLocation,
)
from bot.directory.tables import Phone as PhoneRow

__all__ = [
    "ImportResult",
    "count_entries",
    "delete_demo",
    "export_records",
    "fetch_records",
    "import_records",
]

BATCH = 1000


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int


def _rows(records: Sequence[ServiceRecord]) -> dict[type[Any], list[dict[str, Any]]]:
    rows: dict[type[Any], list[dict[str, Any]]] = {
        Organization: [],
        Service: [],
        Location: [],
        ServiceAtLocation: [],
        PhoneRow: [],
        Schedule: [],
    }
    seen: dict[type[Any], set[str]] = {table: set() for table in rows}

    def add(table: type[Any], row: dict[str, Any]) -> None:
        if row["id"] not in seen[table]:
            seen[table].add(row["id"])
            rows[table].append(row)

    for r in records:
        add(
            Organization,
            {
                "id": r.organization_id,
                "name": r.organization_name,
                "description": None,
                "website": r.organization_url,
                "demo": r.demo,
            },
        )
        add(
            Service,
            {
                "id": r.service_id,
                "organization_id": r.organization_id,
                "name": r.service_name,
                "description": r.description,
                "status": r.status,
                "alert": r.alert,
                "assured_date": r.assured_date,
                "types": list(r.types),
                "languages": list(r.languages),
                "free": r.free,
                "anonymous": r.anonymous,
                "peer_run": r.peer_run,
                "no_documents": r.no_documents,
                "source": r.source,
            },
        )
        add(
            Location,
            {
                "id": r.location_id,
                "organization_id": r.organization_id,
                "latitude": r.latitude,
                "longitude": r.longitude,
                "address": r.address,
                "city": r.city,
                "region": r.region,
                "country": r.country,
                "timezone": r.timezone,
            },
        )
        add(
            ServiceAtLocation,
            {
                "id": r.id,
                "service_id": r.service_id,
                "location_id": r.location_id,
                "latitude": r.latitude,
                "longitude": r.longitude,
                "type_mask": type_mask(r.types),
                "status": r.status,
            },
        )
        for n, phone in enumerate(r.phones):
            add(
                PhoneRow,
                {
                    "id": f"{r.service_id}#phone{n}",
                    "service_id": r.service_id,
                    "number": phone.number,
                    "languages": list(phone.languages),
                },
            )
        for n, opening in enumerate(r.hours):
            add(
                Schedule,
                {
                    "id": f"{r.id}#hours{n}",
                    "service_at_location_id": r.id,
                    "byday": opening.byday,
                    "opens_at": opening.clock(opening.opens),
                    "closes_at": opening.clock(opening.closes),
                },
            )
    return rows


async def _upsert(
    session: AsyncSession, dialect: str, table: type[Any], rows: list[dict[str, Any]]
) -> None:
    if not rows:
        return
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(table)
    columns = [c for c in rows[0] if c != "id"]
    statement = statement.on_conflict_do_update(
        index_elements=["id"], set_={c: statement.excluded[c] for c in columns}
    )
    await session.execute(statement, rows)


async def import_records(database: Database, records: Sequence[ServiceRecord]) -> ImportResult:
    """Insert or update every record in one transaction; the same data twice changes nothing."""
    added = updated = 0
    async with database.session() as session:
        dialect = session.bind.dialect.name
        for start in range(0, len(records), BATCH):
            batch = records[start : start + BATCH]
            ids = [r.id for r in batch]
            existing = set(
                (
                    await session.scalars(
                        select(ServiceAtLocation.id).where(ServiceAtLocation.id.in_(ids))
                    )
                ).all()
            )
            added += len(set(ids) - existing)
            updated += len(existing)
            rows = _rows(batch)
            # Phones and hours are replaced as a whole: the source's list is the truth.
            await session.execute(
                delete(PhoneRow).where(PhoneRow.service_id.in_({r.service_id for r in batch}))
            )
            await session.execute(delete(Schedule).where(Schedule.service_at_location_id.in_(ids)))
            for table in (Organization, Service, Location, ServiceAtLocation, PhoneRow, Schedule):
                await _upsert(session, dialect, table, rows[table])
    return ImportResult(added, updated)


async def _phones(session: AsyncSession, service_ids: set[str]) -> dict[str, list[Phone]]:
    found: dict[str, list[Phone]] = {}
    query = select(PhoneRow).where(PhoneRow.service_id.in_(service_ids)).order_by(PhoneRow.id)
    for phone in (await session.scalars(query)).all():
        found.setdefault(phone.service_id, []).append(Phone(phone.number, tuple(phone.languages)))
    return found


async def fetch_records(
    session: AsyncSession, ids: Iterable[str], *, with_phones: bool = True
) -> dict[str, ServiceRecord]:
    """Full records for service_at_location ids (search results skip the phones)."""
    ids = list(ids)
    if not ids:
        return {}
    result = await session.execute(
        select(ServiceAtLocation, Service, Organization, Location)
        .join(Service, Service.id == ServiceAtLocation.service_id)
        .join(Organization, Organization.id == Service.organization_id)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .where(ServiceAtLocation.id.in_(ids))
    )
    rows = result.all()
    service_ids = {service.id for _, service, _, _ in rows}
    phones = await _phones(session, service_ids) if with_phones else {}
    hours: dict[str, list[Opening]] = {}
    for schedule in (
        await session.scalars(
            select(Schedule).where(Schedule.service_at_location_id.in_(ids)).order_by(Schedule.id)
        )
    ).all():
        text = f"{schedule.byday} {schedule.opens_at}-{schedule.closes_at}"
        hours.setdefault(schedule.service_at_location_id, []).extend(parse_hours(text))
    records = {}
    for at, service, organization, location in rows:
        records[at.id] = ServiceRecord(
            service_id=service.id,
            organization_id=organization.id,
            organization_name=organization.name,
            organization_url=organization.website,
            service_name=service.name,
            description=service.description,
            types=tuple(service.types),
            location_id=location.id,
            latitude=location.latitude,
            longitude=location.longitude,
            address=location.address,
            city=location.city,
            region=location.region,
            country=location.country,
            timezone=location.timezone,
            phones=tuple(phones.get(service.id, ())),
            languages=tuple(service.languages),
            hours=tuple(hours.get(at.id, ())),
            free=service.free,
            anonymous=service.anonymous,
            peer_run=service.peer_run,
            no_documents=service.no_documents,
            status=service.status,
            alert=service.alert,
            assured_date=service.assured_date,
            demo=organization.demo,
            source=service.source,
        )
    return records


async def export_records(database: Database) -> list[ServiceRecord]:
    async with database.session() as session:
        ids = (await session.scalars(select(ServiceAtLocation.id))).all()
        records: list[ServiceRecord] = []
        for start in range(0, len(ids), BATCH):
            records.extend((await fetch_records(session, ids[start : start + BATCH])).values())
    return records


async def count_entries(database: Database) -> tuple[int, int]:
    """(services at locations, of which demo entries)."""
    async with database.session() as session:
        total = await session.scalar(select(func.count()).select_from(ServiceAtLocation))
        demo = await session.scalar(
            select(func.count())
            .select_from(ServiceAtLocation)
            .join(Service, Service.id == ServiceAtLocation.service_id)
            .join(Organization, Organization.id == Service.organization_id)
            .where(Organization.demo.is_(True))
        )
    return int(total or 0), int(demo or 0)


async def delete_demo(database: Database) -> int:
    """Remove the demo entries (a real directory was imported); returns how many went."""
    async with database.session() as session:
        demo_orgs = select(Organization.id).where(Organization.demo.is_(True))
        demo_services = select(Service.id).where(Service.organization_id.in_(demo_orgs))
        count = await session.scalar(
            select(func.count())
            .select_from(ServiceAtLocation)
            .where(ServiceAtLocation.service_id.in_(demo_services))
        )
        ids = select(ServiceAtLocation.id).where(ServiceAtLocation.service_id.in_(demo_services))
        await session.execute(delete(Schedule).where(Schedule.service_at_location_id.in_(ids)))
        await session.execute(
            delete(ServiceAtLocation).where(ServiceAtLocation.service_id.in_(demo_services))
        )
        await session.execute(delete(PhoneRow).where(PhoneRow.service_id.in_(demo_services)))
        await session.execute(delete(Service).where(Service.organization_id.in_(demo_orgs)))
        await session.execute(delete(Location).where(Location.organization_id.in_(demo_orgs)))
        await session.execute(delete(Organization).where(Organization.demo.is_(True)))
    return int(count or 0)
