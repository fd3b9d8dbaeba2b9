"""Conversation state kept in the database, so a person mid-flow continues after a restart.

python-telegram-bot asks a persistence for user data and conversation states. This one writes
them to the `stored_state` table: the row key is a keyed hash of the Telegram id, and the payload
(which repeats the id, so it can be loaded back) is encrypted by the column type.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from bot.db import Database, StoredState

__all__ = ["DatabasePersistence"]

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

    def _key(self, kind: str, name: str, key: object) -> str:
        return self.database.cipher.subject(f"{kind}/{name}", key)

    async def _put(self, kind: str, name: str, key: object, payload: Any) -> None:
        row_key = self._key(kind, name, key)
        async with self.database.session() as session:
            row = await session.get(StoredState, (kind, name, row_key))
            if row is None:
                session.add(StoredState(kind=kind, name=name, key=row_key, payload=payload))
            else:
                row.payload = payload

    async def _drop(self, kind: str, name: str, key: object) -> None:
        async with self.database.session() as session:
            await session.execute(
                delete(StoredState).where(
                    StoredState.kind == kind,
                    StoredState.name == name,
                    StoredState.key == self._key(kind, name, key),
                )
            )

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
        """Remove every stored state that belongs to this person."""
        await self.drop_user_data(user_id)
        # Opora's conversations are per chat and per user, so that is the only key shape.
        for name in conversation_names:
            await self._drop(CONVERSATION, name, json.dumps([chat_id, user_id]))

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
