"""The messages of each private chat that the bot can still delete, for /wipe and disappearing mode.

Telegram lets a bot delete messages in a private chat, its own and the person's, for 48 hours.
So every message in a private chat is noted here (message id and chat id, encrypted, under the
person's pseudonym) and the note is dropped once Telegram would refuse the deletion anyway.
With disappearing messages on, each note carries the moment it must be deleted; a job deletes
what is due, so the schedule survives a restart.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, select

from bot.db import ChatMessage, Database, Profile
from bot.db.subjects import subject_of
from bot.db.types import utc

__all__ = ["DELETABLE_FOR", "Due", "MessageLog"]

log = logging.getLogger(__name__)

# Telegram's limit is 48 hours; deleting is not attempted in the last minutes before it.
DELETABLE_FOR = dt.timedelta(hours=48) - dt.timedelta(minutes=5)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Due:
    """Messages to delete now, by chat; `rows` are the notes to drop once that is done."""

    chats: dict[int, list[int]]
    rows: list[int]


class MessageLog:
    """Notes of deletable messages, and each person's disappearing-messages setting."""

    def __init__(self, database: Database) -> None:
        self.database = database
        # subject -> seconds (or None): read once per person, updated when they change it.
        self._periods: dict[str, int | None] = {}

    async def period(self, subject: str) -> int | None:
        if subject not in self._periods:
            async with self.database.session() as session:
                seconds = await session.scalar(
                    select(Profile.disappear_seconds).where(Profile.subject == subject)
                )
            self._periods[subject] = seconds
        return self._periods[subject]

    async def record(self, chat_id: int, message_id: int) -> None:
        """Note a message in the private chat `chat_id` (the person's Telegram id)."""
        subject = subject_of(self.database, chat_id)
        seconds = await self.period(subject)
        now = _now()
        async with self.database.session() as session:
            session.add(
                ChatMessage(
                    owner=subject,
                    ref={"chat": chat_id, "message": message_id},
                    sent_at=now,
                    delete_at=now + dt.timedelta(seconds=seconds) if seconds else None,
                )
            )

    async def set_period(self, subject: str, seconds: int | None, language: str) -> None:
        """Turn disappearing messages on (every noted message is rescheduled) or off."""
        async with self.database.session() as session:
            profile = await session.scalar(select(Profile).where(Profile.subject == subject))
            if profile is None:
                profile = Profile(subject=subject, language=language, onboarded=False)
                session.add(profile)
            profile.disappear_seconds = seconds
            rows = await session.scalars(select(ChatMessage).where(ChatMessage.owner == subject))
            for row in rows:
                row.delete_at = (
                    utc(row.sent_at) + dt.timedelta(seconds=seconds) if seconds else None
                )
        self._periods[subject] = seconds

    async def expire_newest(self, subject: str, seconds: int) -> None:
        """Let the person's newest message disappear after `seconds` (a note that is only
        meant to be read once)."""
        async with self.database.session() as session:
            row = await session.scalar(
                select(ChatMessage)
                .where(ChatMessage.owner == subject)
                .order_by(ChatMessage.id.desc())
                .limit(1)
            )
            if row is not None:
                deadline = _now() + dt.timedelta(seconds=seconds)
                current = utc(row.delete_at) if row.delete_at else None
                row.delete_at = min(deadline, current) if current else deadline

    async def all_of(self, subject: str) -> Due:
        """Every deletable message of one person (for /wipe)."""
        cutoff = _now() - DELETABLE_FOR
        async with self.database.session() as session:
            rows = list(
                await session.scalars(select(ChatMessage).where(ChatMessage.owner == subject))
            )
        return _due(rows, cutoff)

    async def due(self, limit: int = 1000) -> Due:
        """Disappearing messages whose time has come, oldest first."""
        now = _now()
        async with self.database.session() as session:
            rows = list(
                await session.scalars(
                    select(ChatMessage)
                    .where(ChatMessage.delete_at.is_not(None), ChatMessage.delete_at <= now)
                    .order_by(ChatMessage.delete_at)
                    .limit(limit)
                )
            )
        return _due(rows, now - DELETABLE_FOR)

    async def drop(self, rows: list[int]) -> None:
        if not rows:
            return
        async with self.database.session() as session:
            await session.execute(delete(ChatMessage).where(ChatMessage.id.in_(rows)))

    async def forget(self, subject: str) -> None:
        """Erase-my-data: no note of this person's messages remains."""
        async with self.database.session() as session:
            await session.execute(delete(ChatMessage).where(ChatMessage.owner == subject))
        self._periods.pop(subject, None)

    async def expire(self) -> int:
        """Drop the notes of messages Telegram no longer lets the bot delete."""
        cutoff = _now() - DELETABLE_FOR
        async with self.database.session() as session:
            result = await session.execute(delete(ChatMessage).where(ChatMessage.sent_at < cutoff))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _due(rows: list[ChatMessage], cutoff: dt.datetime) -> Due:
    chats: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        if utc(row.sent_at) >= cutoff:
            chats[int(row.ref["chat"])].append(int(row.ref["message"]))
    return Due(dict(chats), [row.id for row in rows])
