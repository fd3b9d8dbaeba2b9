"""Retention: old closed cases become anonymous statistics, inactive profiles are deleted, and the
privacy notice says so in every language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from bot.cases import store
from bot.cases.tables import Case, CaseEvent
from bot.db import Profile, StoredState
from bot.localapi.client import LocalUser
from bot.localapi.world import LocalTelegram
from bot.retention import apply_retention

NOW = dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC)


async def _case(database: Any, submission: str, status: str, closed_days_ago: int | None) -> str:
    case, _ = await store.submit(
        database,
        submission=submission,
        kind="report",
        client="subject-" + submission,
        client_chat=4242,
        language="ru",
        details={
            "country": "KZ",
            "city": "Алматы",
            "violations": ["property"],
            "perpetrators": ["police"],
            "story": "Забрали метадон " + submission,
            "phone": "+77010000000",
        },
    )
    async with database.session() as session:
        row = await session.scalar(select(Case).where(Case.code == case.code))
        assert row is not None
        row.status = status
        if closed_days_ago is not None:
            row.closed_at = NOW - dt.timedelta(days=closed_days_ago)
    await store.note_event(database, case.id, "paralegal:1", "note", "secret note " + submission)
    return case.code


async def test_retention_reduces_old_closed_cases_and_deletes_inactive_profiles(
    running_bot: Any,
) -> None:
    services = running_bot.bot_data.services
    database, rules = services.database, services.settings.retention
    old = await _case(database, "old", "resolved", rules.closed_case_days + 1)
    recent = await _case(database, "recent", "closed", rules.closed_case_days - 1)
    still_open = await _case(database, "open", "in_progress", None)
    async with database.session() as session:
        session.add(Profile(subject="gone", language="ru", onboarded=True))
        session.add(Profile(subject="here", language="ru", onboarded=True))
        session.add(StoredState(kind="user_data", name="", key="stale", payload={"x": 1}))
    async with database.session() as session:
        gone = await session.scalar(select(Profile).where(Profile.subject == "gone"))
        assert gone is not None
        gone.last_seen_on = (NOW - dt.timedelta(days=rules.inactive_profile_days + 1)).date()
        state = await session.get(StoredState, ("user_data", "", "stale"))
        assert state is not None
        state.updated_at = NOW - dt.timedelta(days=rules.inactive_profile_days + 1)

    result = await apply_retention(database, rules, NOW)

    assert result.cases_anonymised == 1 and result.profiles_deleted == 1
    assert result.states_deleted == 1
    reduced = await store.by_code(database, old)
    assert reduced.story is None and reduced.phone is None and reduced.city is None
    assert reduced.client_chat is None
    assert reduced.violations == ["property"] and reduced.country == "KZ"  # the statistics
    assert all(detail is None for _, _, detail in await store.events(database, old))
    for kept in (recent, still_open):
        case = await store.by_code(database, kept)
        assert case.story and case.story.startswith("Забрали метадон")
    async with database.session() as session:
        subjects = set(await session.scalars(select(Profile.subject)))
        assert "gone" not in subjects and "here" in subjects
        notes = list(await session.scalars(select(CaseEvent.detail)))
        assert "secret note old" not in notes and "secret note recent" in notes
    again = await apply_retention(database, rules, NOW)
    assert again.cases_anonymised == 0  # once is enough


async def test_privacy_notice_states_the_periods_in_every_language(
    running_bot: Any, telegram: LocalTelegram
) -> None:
    settings = running_bot.bot_data.services.settings
    days = (str(settings.retention.inactive_profile_days), str(settings.retention.closed_case_days))
    for n, lang in enumerate(settings.languages.supported):
        person = LocalUser(telegram, 8100 + n, "P", lang)
        shown = await person.say("/privacy")
        text = shown[-1].text
        assert all(d in text for d in days) and "48" in text, (lang, text)
        data = [b.callback_data for b in shown[-1].buttons]
        assert data[:4] == ["safety:wipe", "safety:disappear", "safety:improve", "menu:erase"], lang
        # The opt-in to keep misunderstood messages is off until the person says yes.
        assert shown[-1].buttons[2].label.startswith("🛠 "), lang
        if lang != "en":
            assert "Help improve" not in shown[-1].buttons[2].label, lang
        if lang != "en":
            assert "What Opora keeps" not in text, lang  # translated, not English
