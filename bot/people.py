"""People's profiles: plain functions over the database, and the per-update lookup handler."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select
from telegram import Update
from telegram.ext import TypeHandler

from bot.context import Handlers, OporaContext, Person
from bot.db import Database, Profile
from bot.db.subjects import subject_of
from bot.i18n import negotiate
from bot.settings import LanguageSettings

__all__ = [
    "erase_profile",
    "handlers",
    "load_person",
    "save_area",
    "save_choices",
    "save_improve_nlu",
    "subject_of",
]


async def load_person(
    *, database: Database, subject: str, telegram_language: str | None, languages: LanguageSettings
) -> Person:
    """The person's profile, or a fresh one from Telegram's language; notes today's visit."""
    today = dt.date.today()
    new_today = False
    async with database.session() as session:
        profile = await session.scalar(select(Profile).where(Profile.subject == subject))
        if profile is not None and profile.last_seen_on != today:
            profile.last_seen_on = today
            new_today = True
    if profile is None:
        return Person(subject, negotiate(None, telegram_language, languages), None, False)
    return Person(
        subject=subject,
        language=negotiate(profile.language, telegram_language, languages),
        country=profile.country,
        onboarded=profile.onboarded,
        area=profile.area,
        improve_nlu=profile.improve_nlu,
        new_today=new_today,
    )


async def save_choices(
    *,
    database: Database,
    person: Person,
    language: str | None = None,
    country: str | None = None,
    onboarded: bool | None = None,
) -> bool:
    """Store what the person chose; creates their profile on the first choice (then True)."""
    created = False
    async with database.session() as session:
        profile = await session.scalar(select(Profile).where(Profile.subject == person.subject))
        if profile is None:
            profile = Profile(subject=person.subject, language=person.language, onboarded=False)
            session.add(profile)
            created = True
        if language is not None:
            profile.language = person.language = language
        if country is not None:
            profile.country = person.country = country
        if onboarded is not None:
            profile.onboarded = person.onboarded = onboarded
    return created


async def save_improve_nlu(*, database: Database, person: Person, improve: bool) -> None:
    """The person's answer to "help improve Opora" (keep misunderstood messages)."""
    async with database.session() as session:
        profile = await session.scalar(select(Profile).where(Profile.subject == person.subject))
        if profile is None:
            profile = Profile(subject=person.subject, language=person.language, onboarded=False)
            session.add(profile)
        profile.improve_nlu = person.improve_nlu = improve


async def save_area(*, database: Database, person: Person, area: dict[str, Any] | None) -> None:
    """Remember (or forget, with None) the town the person searches from."""
    async with database.session() as session:
        profile = await session.scalar(select(Profile).where(Profile.subject == person.subject))
        if profile is None:
            profile = Profile(subject=person.subject, language=person.language, onboarded=False)
            session.add(profile)
        profile.area = person.area = area


async def erase_profile(*, database: Database, subject: str) -> None:
    """Delete the person's profile row."""
    async with database.session() as session:
        await session.execute(delete(Profile).where(Profile.subject == subject))


async def _identify(update: object, context: OporaContext) -> None:
    """Decide once per update who is writing and in which language to answer."""
    if not isinstance(update, Update) or update.effective_user is None:
        return
    services = context.services
    user = update.effective_user
    person = await load_person(
        database=services.database,
        subject=subject_of(services.database, user.id),
        telegram_language=user.language_code,
        languages=services.settings.languages,
    )
    context.set_person(person)
    if person.new_today:
        services.usage.note("conversation", person.language)


def handlers() -> Handlers:
    return [TypeHandler(Update, _identify)]
