"""Directory tables, aligned with Open Referral HSDS 3.0 (organization, service, location,
service_at_location, phone, schedule), plus the columns the nearest-search needs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base

__all__ = ["Location", "Organization", "Phone", "Schedule", "Service", "ServiceAtLocation"]


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(String(500))
    # Demo entries (content/services/) are shown with "demo entry: verify before going".
    demo: Mapped[bool] = mapped_column(default=False)


class Service(Base):
    __tablename__ = "services"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    # HSDS: active, inactive, defunct, temporarily closed.
    status: Mapped[str] = mapped_column(String(32), default="active")
    alert: Mapped[str | None] = mapped_column(Text)
    assured_date: Mapped[dt.date | None] = mapped_column(Date)
    types: Mapped[list[str]] = mapped_column(JSON)
    languages: Mapped[list[str]] = mapped_column(JSON)
    # Key-population-friendly attributes; None means the source does not say.
    free: Mapped[bool | None]
    anonymous: Mapped[bool | None]
    peer_run: Mapped[bool | None]
    no_documents: Mapped[bool | None]
    source: Mapped[str | None] = mapped_column(Text)


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(500))
    city: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(64))


class ServiceAtLocation(Base):
    """Where a service is given; carries copies of what the nearest-search filters on."""

    __tablename__ = "service_at_location"

    id: Mapped[str] = mapped_column(String(201), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    # One bit per service type (bot.directory.records.SERVICE_TYPES order).
    type_mask: Mapped[int] = mapped_column(Integer)
    # Copied from the service: defunct and inactive services are never offered.
    status: Mapped[str] = mapped_column(String(32))

    # Covering: the box query reads only this index, never the table rows.
    __table_args__ = (
        Index(
            "ix_service_at_location_lat_lon", "latitude", "longitude", "type_mask", "status", "id"
        ),
    )


class Phone(Base):
    __tablename__ = "phones"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(40))
    languages: Mapped[list[str]] = mapped_column(JSON)


class Schedule(Base):
    """Weekly opening hours of a service at a location, in the location's timezone."""

    __tablename__ = "schedules"

    id: Mapped[str] = mapped_column(String(220), primary_key=True)
    service_at_location_id: Mapped[str] = mapped_column(
        ForeignKey("service_at_location.id", ondelete="CASCADE")
    )
    byday: Mapped[str] = mapped_column(String(40))  # RRULE BYDAY: MO,TU,WE
    opens_at: Mapped[str] = mapped_column(String(5))  # 09:00
    closes_at: Mapped[str] = mapped_column(String(5))  # 18:00 (24:00 = midnight)

    def as_dict(self) -> dict[str, Any]:
        return {"byday": self.byday, "opens_at": self.opens_at, "closes_at": self.closes_at}
