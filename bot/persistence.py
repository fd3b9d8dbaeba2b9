"""Conversation state kept in the database, so a person mid-flow continues after a restart.

python-telegram-bot asks a persistence for user data and conversation states. This one writes
them to the `stored_state` table: the row key is a keyed hash of the Telegram id, and the payload
(which repeats the id, so it can be loaded back) is encrypted by the column type.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from typing import Any

from sqlalchemy import delete, select
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from bot.db import Database, DatabaseUnavailable, StoredState

__all__ = ["DatabasePersistence"]

log = logging.getLogger(__name__)


_ABSENT = b""


def _digest(payload: Any) -> bytes:
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


USER = "user_data"
CONVERSATION = "conversation"


class DatabasePersistence(BasePersistence[dict[str, Any], dict[str, Any], Any]):
    """Persists user data and conversations. Chat data is deliberately memory-only: it holds a
    service search in progress (results near a shared location), which must not outlive it."""

    def __init__(self, database: Database, update_interval: float) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.database = database
        # (kind, name, key) -> payload (None: delete) of writes the database did not take.
        self._pending: dict[tuple[str, str, object], Any] = {}
        self._lock = asyncio.Lock()
        # (kind, name, key) -> digest of the state last written, to skip unchanged writes.
        self._written: dict[tuple[str, str, object], tuple[bytes, float]] = {}

    def _key(self, kind: str, name: str, key: object) -> str:
        return self.database.cipher.subject(f"{kind}/{name}", key)

    async def _put(self, kind: str, name: str, key: object, payload: Any) -> None:
        await self._write(kind, name, key, payload)

    async def _drop(self, kind: str, name: str, key: object) -> None:
        await self._write(kind, name, key, None)

    async def _write(self, kind: str, name: str, key: object, payload: Any) -> None:
        """Store (or with None, delete) one state. When the database does not answer, the write
        waits in memory for :meth:`write_pending`: python-telegram-bot hands each change over
        only once, so a failed write would otherwise be lost."""
        if self._pending:
            # During an outage, writes and the retry of waiting ones must not overtake each
            # other (an old state written after a newer one, or after an erasure).
            async with self._lock:
                await self._write_now(kind, name, key, payload)
        else:
            await self._write_now(kind, name, key, payload)

    async def _write_now(self, kind: str, name: str, key: object, payload: Any) -> None:
        self._pending.pop((kind, name, key), None)
        # python-telegram-bot hands over a person's data after every update, changed or not
        # (most button presses change nothing): an unchanged state is not written again
        # within the hour (the row's updated_at still tells retention the person is active).
        # The same goes for deleting a state that is already gone (empty user data is handed
        # over as "drop it" after every update of someone with nothing stored).
        digest = _ABSENT if payload is None else _digest(payload)
        last = self._written.get((kind, name, key))
        now = time.monotonic()
        if last is not None and last[0] == digest and now - last[1] < 3600:
            return
        try:
            await self._store(kind, name, key, payload)
            self._written[(kind, name, key)] = (digest, now)
        except DatabaseUnavailable:
            if not self._pending:
                log.warning("Database unavailable: conversation states wait in memory")
            self._pending[(kind, name, key)] = payload

    async def _store(self, kind: str, name: str, key: object, payload: Any) -> None:
        row_key = self._key(kind, name, key)
        async with self.database.session() as session:
            if payload is None:
                await session.execute(
                    delete(StoredState).where(
                        StoredState.kind == kind,
                        StoredState.name == name,
                        StoredState.key == row_key,
                    )
                )
                return
            row = await session.get(StoredState, (kind, name, row_key))
            if row is None:
                session.add(StoredState(kind=kind, name=name, key=row_key, payload=payload))
            else:
                row.payload = payload

    @property
    def pending(self) -> int:
        """How many states could not be written yet."""
        return len(self._pending)

    async def write_pending(self) -> None:
        """Write the states that waited for the database; those that fail again keep waiting."""
        if not self._pending:
            return
        async with self._lock:
            for (kind, name, key), payload in list(self._pending.items()):
                try:
                    await self._store(kind, name, key, payload)
                except DatabaseUnavailable:
                    return
                del self._pending[(kind, name, key)]
                self._written.pop((kind, name, key), None)
        log.info("Database back: every waiting conversation state is written")

    async def _load(self, kind: str, name: str) -> list[Any]:
        async with self.database.session() as session:
            rows = await session.scalars(
                select(StoredState.payload).where(
                    StoredState.kind == kind, StoredState.name == name
                )
            )
            return list(rows)

    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        return {int(item["id"]): item["data"] for item in await self._load(USER, "")}

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        if data:
            await self._put(USER, "", user_id, {"id": user_id, "data": data})
        else:
            await self._drop(USER, "", user_id)

    async def drop_user_data(self, user_id: int) -> None:
        await self._drop(USER, "", user_id)

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        """Nothing to do: the in-memory copy is the newest."""

    async def get_conversations(self, name: str) -> ConversationDict:
        return {tuple(item["key"]): item["state"] for item in await self._load(CONVERSATION, name)}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        if new_state is None:
            await self._drop(CONVERSATION, name, json.dumps(list(key)))
            return
        payload = {"key": list(key), "state": new_state}
        await self._put(CONVERSATION, name, json.dumps(list(key)), payload)

    async def forget_person(
        self, user_id: int, chat_id: int, conversation_names: list[str]
    ) -> None:
        """Remove every stored state that belongs to this person (always run against the
        database, whatever was last written)."""
        keys: list[tuple[str, str, object]] = [(USER, "", user_id)]
        # Opora's conversations are per chat and per user, so that is the only key shape.
        conversation_key = json.dumps([chat_id, user_id])
        keys += [(CONVERSATION, name, conversation_key) for name in conversation_names]
        for kind, name, key in keys:
            self._written.pop((kind, name, key), None)
            await self._write(kind, name, key, None)

    # Chat, bot and callback data are switched off in store_data; PTB still needs the methods.
    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return {}

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        """Chat data is not persisted."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """Chat data is not persisted."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        """Chat data is not persisted."""

    async def get_bot_data(self) -> Any:
        return None

    async def update_bot_data(self, data: Any) -> None:
        """Bot data holds services, not state; it is not persisted."""

    async def refresh_bot_data(self, bot_data: Any) -> None:
        """Bot data is not persisted."""

    async def get_callback_data(self) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        """Callback data is plain strings; nothing to persist."""

    async def flush(self) -> None:
        """Every update is written when it happens; nothing is buffered here."""
