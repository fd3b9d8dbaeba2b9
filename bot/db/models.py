"""The tables. Telegram ids never appear: people are known by a keyed `subject` hash."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Date, DateTime, Integer, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.db.types import EncryptedJSON

__all__ = ["Base", "ChatMessage", "NluSample", "Profile", "Secret", "StoredState", "UsageCount"]


class Base(DeclarativeBase):
    pass


class Profile(Base):
    """A person's choices: language and country. Nothing that names them."""

    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str | None] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(2))
    onboarded: Mapped[bool] = mapped_column(default=False)
    # Dates, not times: enough for retention, less to learn about someone's habits.
    created_on: Mapped[dt.date] = mapped_column(Date, server_default=func.current_date())
    last_seen_on: Mapped[dt.date] = mapped_column(Date, server_default=func.current_date())
    # The town a person asked Opora to remember for service searches (never coordinates).
    area: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)
    # Disappearing messages: every message in the chat is deleted this long after it was sent.
    disappear_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Opted in to "help improve Opora": messages the bot did not understand are kept (encrypted,
    # 30 days, without who wrote them) for the content editors.
    improve_nlu: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class UsageCount(Base):
    """How the bot is used, counted per week and language: never per person, never content."""

    __tablename__ = "usage_counts"

    week: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # its Monday
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class NluSample(Base):
    """A message the bot did not understand, from someone who opted in; encrypted, unlinked to
    anyone, deleted after 30 days (bot.retention)."""

    __tablename__ = "nlu_samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(16))  # not_placed | did_you_mean
    guess: Mapped[str | None] = mapped_column(String(64))  # the NLU's best intent
    text: Mapped[Any] = mapped_column(EncryptedJSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class ChatMessage(Base):
    """A message in a person's private chat with the bot, kept only while Telegram still lets
    the bot delete it (48 hours), so that /wipe and disappearing messages can remove it."""

    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)  # the person's subject
    # {"chat": chat id, "message": message id}, encrypted: the chat id is the Telegram id.
    ref: Mapped[Any] = mapped_column(EncryptedJSON)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    delete_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class StoredState(Base):
    """python-telegram-bot's user data and conversation states, encrypted."""

    __tablename__ = "stored_state"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    payload: Mapped[Any] = mapped_column(EncryptedJSON)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Secret(Base):
    """Keys the application itself needs, encrypted with the data key (e.g. the subject key)."""

    __tablename__ = "opora_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(EncryptedJSON)
