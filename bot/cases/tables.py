"""Case tables. Everything a client wrote, and how to reach them, is encrypted at the column."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base
from bot.db.types import EncryptedJSON

__all__ = ["Case", "CaseEvent"]


class Case(Base):
    """One report or consultation, known to staff only by its code."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(7), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # report | consultation
    # The client: a keyed hash of their Telegram id, and (encrypted) the chat to answer in.
    client: Mapped[str | None] = mapped_column(String(64), index=True)
    client_chat: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)
    language: Mapped[str] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="new")
    urgent: Mapped[bool] = mapped_column(default=False)
    # Categories (REAct fields): lists of codes, not free text.
    violations: Mapped[list[str]] = mapped_column(JSON, default=list)
    perpetrators: Mapped[list[str]] = mapped_column(JSON, default=list)
    happened: Mapped[str | None] = mapped_column(String(16))  # today, week, month, earlier, date
    happened_on: Mapped[dt.date | None]
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    gender: Mapped[str | None] = mapped_column(String(16))
    age_band: Mapped[str | None] = mapped_column(String(8))
    # Their own words, evidence file ids, phone number: encrypted.
    story: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)
    evidence: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)
    contact: Mapped[str] = mapped_column(String(8), default="bot")  # bot | phone | none
    phone: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)
    consent_contact: Mapped[bool] = mapped_column(default=True)
    consent_advocacy: Mapped[bool] = mapped_column(default=False)
    workspace: Mapped[int | None] = mapped_column(BigInteger)
    topic: Mapped[int | None] = mapped_column(BigInteger)
    card_message: Mapped[int | None] = mapped_column(BigInteger)
    # Staff are staff: a paralegal's Telegram id and first name are not the client's identity.
    taken_by: Mapped[int | None] = mapped_column(BigInteger)
    taken_by_name: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(String(16))  # full | partial | none
    qualified: Mapped[bool | None]
    services_given: Mapped[list[str]] = mapped_column(JSON, default=list)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    # One case per submission, however often Telegram delivers the update.
    submission: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    first_response_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    announced_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Reduced to anonymous statistics by the retention job (bot.retention).
    anonymised: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class CaseEvent(Base):
    """The audit trail: who did what to a case, and when (notes encrypted)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(40))  # client | system | paralegal:<id>
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)
