"""People's pseudonyms: a keyed hash of the Telegram id, the same in every table."""

from __future__ import annotations

from bot.db.database import Database

__all__ = ["SUBJECT_KIND", "subject_of"]

SUBJECT_KIND = "telegram-user"


def subject_of(database: Database, telegram_user_id: int) -> str:
    """The pseudonym under which a Telegram user's profile is stored."""
    return database.cipher.subject(SUBJECT_KIND, telegram_user_id)
