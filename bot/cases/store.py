"""The case lifecycle as plain functions: submit, take, change status, relay notes, withdraw.

Every change is recorded in case_events (who, what, when). `take` is one conditional UPDATE, so
two paralegals pressing Take at the same moment cannot both win.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.tables import Case, CaseEvent
from bot.db import Database
from bot.db.types import utc

__all__ = [
    "CLOSED",
    "OPEN",
    "STATUSES",
    "AlreadyTaken",
    "CaseNotFound",
    "CaseView",
    "by_code",
    "by_topic",
    "client_cases",
    "events",
    "open_cases",
    "record",
    "set_outcome",
    "set_status",
    "submit",
    "take",
    "unlink_client",
    "withdraw",
]

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud over a phone
STATUSES = ("new", "in_progress", "waiting", "referred", "resolved", "closed", "withdrawn")
OPEN = ("new", "in_progress", "waiting", "referred")
CLOSED = ("resolved", "closed", "withdrawn")


class CaseNotFound(Exception):
    """No case with that code (or it is not this client's)."""


class AlreadyTaken(Exception):
    """Someone else took the case first."""

    def __init__(self, name: str | None) -> None:
        super().__init__(name or "another paralegal")
        self.name = name


def new_code() -> str:
    """A short, unguessable case code such as K7M-4QX (31^6 ≈ 887 million)."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
    return f"{chars[:3]}-{chars[3:]}"


def _aware(moment: dt.datetime | None) -> dt.datetime:
    """A stored time in UTC; a time not written yet (None) is now."""
    return dt.datetime.now(dt.UTC) if moment is None else utc(moment)


@dataclass
class CaseView:
    """A case as read: safe to pass around after the session is closed."""

    id: int
    code: str
    kind: str
    status: str
    language: str
    country: str | None
    city: str | None
    urgent: bool
    violations: list[str]
    perpetrators: list[str]
    happened: str | None
    happened_on: dt.date | None
    groups: list[str]
    gender: str | None
    age_band: str | None
    story: str | None
    evidence: list[dict[str, str]]
    contact: str
    phone: str | None
    consent_contact: bool
    consent_advocacy: bool
    client_chat: int | None
    workspace: int | None
    topic: int | None
    card_message: int | None
    taken_by: int | None
    taken_by_name: str | None
    outcome: str | None
    qualified: bool | None
    services_given: list[str]
    created_at: dt.datetime
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, case: Case) -> CaseView:
        return cls(
            id=case.id,
            code=case.code,
            kind=case.kind,
            status=case.status,
            language=case.language,
            country=case.country,
            city=case.city,
            urgent=case.urgent,
            violations=list(case.violations or []),
            perpetrators=list(case.perpetrators or []),
            happened=case.happened,
            happened_on=case.happened_on,
            groups=list(case.groups or []),
            gender=case.gender,
            age_band=case.age_band,
            story=case.story,
            evidence=list(case.evidence or []),
            contact=case.contact,
            phone=case.phone,
            consent_contact=case.consent_contact,
            consent_advocacy=case.consent_advocacy,
            client_chat=case.client_chat,
            workspace=case.workspace,
            topic=case.topic,
            card_message=case.card_message,
            taken_by=case.taken_by,
            taken_by_name=case.taken_by_name,
            outcome=case.outcome,
            qualified=case.qualified,
            services_given=list(case.services_given or []),
            created_at=_aware(case.created_at),
            extra={"announced_at": _aware(case.announced_at) if case.announced_at else None},
        )


def record(
    session: AsyncSession, case_id: int, actor: str, action: str, detail: Any = None
) -> None:
    """Add an audit event to the session (committed with the change it describes)."""
    session.add(CaseEvent(case_id=case_id, actor=actor, action=action, detail=detail))


async def submit(
    database: Database,
    *,
    submission: str,
    kind: str,
    client: str,
    client_chat: int,
    language: str,
    details: dict[str, Any],
) -> tuple[CaseView, bool]:
    """Store a new case; the same submission twice returns the first. Returns (case, created)."""
    async with database.session() as session:
        existing = await session.scalar(select(Case).where(Case.submission == submission))
        if existing is not None:
            return CaseView.of(existing), False
    for _ in range(5):
        try:
            async with database.session() as session:
                case = Case(
                    code=new_code(),
                    kind=kind,
                    client=client,
                    client_chat=client_chat,
                    language=language,
                    submission=submission,
                    status="new",
                    created_at=dt.datetime.now(dt.UTC),
                    **details,
                )
                session.add(case)
                await session.flush()
                record(session, case.id, "client", "submitted")
                return CaseView.of(case), True
        except IntegrityError:
            async with database.session() as session:
                existing = await session.scalar(select(Case).where(Case.submission == submission))
                if existing is not None:
                    return CaseView.of(existing), False
            # Otherwise a code collision (one in hundreds of millions): draw again.
    raise RuntimeError("could not draw a free case code")


async def _one(session: AsyncSession, **where: Any) -> Case:
    query = select(Case)
    for name, value in where.items():
        query = query.where(getattr(Case, name) == value)
    case = await session.scalar(query)
    if case is None:
        raise CaseNotFound(str(where.get("code", "")))
    return case


async def by_code(database: Database, code: str, client: str | None = None) -> CaseView:
    async with database.session() as session:
        where: dict[str, Any] = {"code": code.upper()}
        if client is not None:
            where["client"] = client
        return CaseView.of(await _one(session, **where))


async def by_topic(database: Database, workspace: int, topic: int) -> CaseView | None:
    async with database.session() as session:
        case = await session.scalar(
            select(Case).where(Case.workspace == workspace, Case.topic == topic)
        )
        return CaseView.of(case) if case else None


async def attach_topic(
    database: Database, case_id: int, workspace: int, topic: int | None, card: int | None
) -> None:
    async with database.session() as session:
        case = await session.get(Case, case_id)
        if case is not None:
            case.workspace, case.topic, case.card_message = workspace, topic, card
            case.announced_at = dt.datetime.now(dt.UTC)


async def mark_announced(database: Database, case_id: int) -> None:
    async with database.session() as session:
        case = await session.get(Case, case_id)
        if case is not None:
            case.announced_at = dt.datetime.now(dt.UTC)


async def client_cases(database: Database, client: str) -> list[CaseView]:
    async with database.session() as session:
        rows = await session.scalars(
            select(Case).where(Case.client == client).order_by(Case.created_at.desc())
        )
        return [CaseView.of(case) for case in rows]


async def open_cases(database: Database, workspace: int | None = None) -> list[CaseView]:
    async with database.session() as session:
        query = select(Case).where(Case.status.in_(OPEN)).order_by(Case.created_at)
        if workspace is not None:
            query = query.where(Case.workspace == workspace)
        return [CaseView.of(case) for case in await session.scalars(query)]


async def take(database: Database, code: str, paralegal: int, name: str) -> CaseView:
    """Claim a case. Exactly one of several simultaneous callers wins; the others get
    AlreadyTaken with the winner's name."""
    now = dt.datetime.now(dt.UTC)
    async with database.session() as session:
        result = await session.execute(
            update(Case)
            .where(Case.code == code, Case.taken_by.is_(None))
            .values(
                taken_by=paralegal,
                taken_by_name=name[:100],
                status="in_progress",
                first_response_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        case = await _one(session, code=code)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise AlreadyTaken(case.taken_by_name)
        record(session, case.id, f"paralegal:{paralegal}", "taken")
        return CaseView.of(case)


async def set_status(database: Database, code: str, status: str, actor: str) -> CaseView:
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    async with database.session() as session:
        case = await _one(session, code=code)
        case.status = status
        if status in CLOSED:
            case.closed_at = dt.datetime.now(dt.UTC)
        record(session, case.id, actor, "status", status)
        return CaseView.of(case)


async def set_outcome(
    database: Database,
    code: str,
    actor: str,
    *,
    outcome: str | None = None,
    qualified: bool | None = None,
) -> CaseView:
    async with database.session() as session:
        case = await _one(session, code=code)
        if outcome is not None:
            case.outcome = outcome
        if qualified is not None:
            case.qualified = qualified
        record(session, case.id, actor, "outcome", {"outcome": outcome, "qualified": qualified})
        return CaseView.of(case)


async def toggle_service(database: Database, code: str, actor: str, service: str) -> CaseView:
    """Mark (or unmark) a service given on the case."""
    async with database.session() as session:
        case = await _one(session, code=code)
        given = list(case.services_given or [])
        given.remove(service) if service in given else given.append(service)
        case.services_given = given
        record(session, case.id, actor, "service", service)
        return CaseView.of(case)


async def note_event(
    database: Database, case_id: int, actor: str, action: str, detail: Any = None
) -> None:
    async with database.session() as session:
        record(session, case_id, actor, action, detail)


async def withdraw(database: Database, code: str, client: str) -> CaseView:
    """The client withdraws: the content is deleted, an anonymous statistical row remains."""
    async with database.session() as session:
        case = await _one(session, code=code, client=client)
        case.status = "withdrawn"
        case.closed_at = dt.datetime.now(dt.UTC)
        case.story = case.evidence = case.phone = None
        await _clear_event_details(session, case.id)
        record(session, case.id, "client", "withdrawn")
        return CaseView.of(case)


async def _clear_event_details(session: AsyncSession, case_id: int) -> None:
    """Event details can quote the case (notes, messages): only the bare events remain."""
    await session.execute(update(CaseEvent).where(CaseEvent.case_id == case_id).values(detail=None))


async def unlink_client(database: Database, client: str) -> list[CaseView]:
    """Erase-my-data: no case may still lead to the person; the paralegal keeps the case."""
    async with database.session() as session:
        cases = list(await session.scalars(select(Case).where(Case.client == client)))
        for case in cases:
            case.client = None
            case.client_chat = None
            case.contact = "none" if case.contact == "bot" else case.contact
            record(session, case.id, "client", "unlinked")
        return [CaseView.of(case) for case in cases]


async def set_consent(database: Database, code: str, client: str, advocacy: bool) -> CaseView:
    """The client changes their consent to anonymised use in advocacy."""
    async with database.session() as session:
        case = await _one(session, code=code, client=client)
        case.consent_advocacy = advocacy
        record(session, case.id, "client", "consent", {"advocacy": advocacy})
        return CaseView.of(case)


async def set_satisfaction(database: Database, code: str, client: str, score: int) -> None:
    async with database.session() as session:
        case = await _one(session, code=code, client=client)
        case.satisfaction = score
        record(session, case.id, "client", "satisfaction", score)


async def add_evidence(database: Database, code: str, client: str, item: dict[str, str]) -> None:
    async with database.session() as session:
        case = await _one(session, code=code, client=client)
        case.evidence = [*(case.evidence or []), item]
        record(session, case.id, "client", "evidence")


async def events(database: Database, code: str) -> list[tuple[str, str, Any]]:
    """(actor, action, detail) of a case, oldest first."""
    async with database.session() as session:
        case = await _one(session, code=code)
        rows = await session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
        return [(e.actor, e.action, e.detail) for e in rows]
