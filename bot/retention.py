"""Keeping data no longer than needed: the daily retention job.

- A case closed more than `retention.closed_case_days` ago is reduced to anonymous statistics:
  the story, evidence, phone number, town, the link to the person and every event's details
  are deleted; the counts a coordinator reports (country, types, outcome, dates) remain.
- A profile nobody used for `retention.inactive_profile_days` is deleted, and so is any
  conversation state not touched for that long.
The privacy notice (/privacy) states both periods from the same settings.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from bot.cases.store import CLOSED
from bot.cases.tables import Case, CaseEvent
from bot.context import OporaContext
from bot.db import Database, Profile, StoredState
from bot.db.models import NluSample
from bot.settings import RetentionSettings
from bot.usage import SAMPLE_DAYS

__all__ = ["Retained", "apply_retention", "retention_job"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retained:
    cases_anonymised: int
    profiles_deleted: int
    states_deleted: int
    samples_deleted: int = 0


async def apply_retention(
    database: Database, rules: RetentionSettings, now: dt.datetime | None = None
) -> Retained:
    now = now or dt.datetime.now(dt.UTC)
    closed_before = now - dt.timedelta(days=rules.closed_case_days)
    inactive_before = now - dt.timedelta(days=rules.inactive_profile_days)
    async with database.session() as session:
        old_cases = list(
            await session.scalars(
                select(Case.id).where(
                    Case.status.in_(CLOSED),
                    Case.closed_at < closed_before,
                    Case.anonymised.is_(False),
                )
            )
        )
        if old_cases:
            await session.execute(
                update(Case)
                .where(Case.id.in_(old_cases))
                .values(
                    story=None,
                    evidence=None,
                    phone=None,
                    city=None,
                    client=None,
                    client_chat=None,
                    taken_by=None,
                    taken_by_name=None,
                    anonymised=True,
                )
            )
            await session.execute(
                update(CaseEvent).where(CaseEvent.case_id.in_(old_cases)).values(detail=None)
            )
        profiles = await session.execute(
            delete(Profile).where(Profile.last_seen_on < inactive_before.date())
        )
        states = await session.execute(
            delete(StoredState).where(StoredState.updated_at < inactive_before)
        )
        samples = await session.execute(
            delete(NluSample).where(NluSample.created_at < now - dt.timedelta(days=SAMPLE_DAYS))
        )
    result = Retained(
        cases_anonymised=len(old_cases),
        profiles_deleted=int(profiles.rowcount or 0),  # type: ignore[attr-defined]
        states_deleted=int(states.rowcount or 0),  # type: ignore[attr-defined]
        samples_deleted=int(samples.rowcount or 0),  # type: ignore[attr-defined]
    )
    log.info(
        "Retention: %d closed cases anonymised, %d inactive profiles and %d stored states deleted",
        result.cases_anonymised,
        result.profiles_deleted,
        result.states_deleted,
    )
    return result


async def retention_job(context: OporaContext) -> None:
    services = context.services
    await apply_retention(services.database, services.settings.retention)
