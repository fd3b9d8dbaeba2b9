"""Webhook delivery as Telegram does it: each update POSTed as JSON to the registered URL with
the secret header, until the bot answers 2xx.

- Up to `max_connections` posts at once; one chat's updates one after another, in order.
- A refused connection, a time-out or any non-2xx answer is tried again after a pause that
  grows (Telegram waits longer; tests want it short).
- When the webhook is removed, undelivered updates go back to the queue that getUpdates and
  the next setWebhook serve.

Timings are kept per update for the tests and the load benchmark: when it was first posted,
when the bot first showed something in the chat, when the bot answered 2xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from bot.localapi.world import JSON, LocalTelegram

__all__ = ["Delivery", "WebhookDelivery"]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


@dataclass
class Delivery:
    """What happened to one update sent by webhook."""

    update_id: int
    chat_id: int | None
    first_post: float = 0.0
    first_reply: float | None = None
    done_at: float | None = None
    # HTTP status (or the error name) of each try.
    attempts: list[int | str] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)


def update_chat(update: JSON) -> int | None:
    """The chat an update belongs to (for ordering and for matching replies)."""
    for key in ("message", "edited_message", "channel_post", "my_chat_member", "chat_member"):
        if key in update and isinstance(update[key], dict):
            chat = update[key].get("chat")
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return int(chat["id"])
    query = update.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message")
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            return int(message["chat"]["id"])
        sender = query.get("from")
        if isinstance(sender, dict):
            return int(sender["id"])
    return None


class WebhookDelivery:
    """Posts a LocalTelegram's updates to its webhook."""

    def __init__(self, world: LocalTelegram) -> None:
        self.world = world
        self.url = ""
        self.secret = ""
        self.max_connections = 40
        # Pause before the first retry, doubling up to `max_pause`.
        self.first_pause = 0.1
        self.max_pause = 2.0
        self.timeout = 60.0
        self.deliveries: dict[int, Delivery] = {}
        self.last_error = ""
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._chats: dict[int | None, asyncio.Lock] = {}
        self._slots = asyncio.Semaphore(self.max_connections)
        self._inflight: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None

    def configure(self, url: str, secret: str, max_connections: int) -> None:
        self.url, self.secret = url, secret
        if max_connections != self.max_connections:
            self.max_connections = max_connections
            self._slots = asyncio.Semaphore(max_connections)
        if url and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        self.url = ""
        tasks = [t for t in (self._task, *self._inflight) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _run(self) -> None:
        self._client = httpx.AsyncClient(
            timeout=self.timeout,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=100),
        )
        while self.url:
            self._wake.clear()
            batch = self.world.take_pending()
            for update in batch:
                task = asyncio.create_task(self._deliver(update))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
            if not batch:
                await self._wake.wait()
        self._task = None

    async def _deliver(self, update: JSON) -> None:
        update_id = int(update["update_id"])
        chat = update_chat(update)
        delivery = self.deliveries.setdefault(update_id, Delivery(update_id, chat))
        lock = self._chats.setdefault(chat, asyncio.Lock())
        body = json.dumps(update).encode("utf-8")
        pause = self.first_pause
        async with lock:
            while True:
                url = self.url
                if not url:
                    self.world.give_back(update)
                    return
                async with self._slots:
                    if not delivery.first_post:
                        delivery.first_post = time.monotonic()
                        self.world.awaiting_reply(chat, delivery)
                    status = await self._post(url, body)
                delivery.attempts.append(status)
                if isinstance(status, int) and 200 <= status < 300:
                    delivery.done_at = time.monotonic()
                    delivery.done.set()
                    return
                self.last_error = str(status)
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.max_pause)

    async def _post(self, url: str, body: bytes) -> int | str:
        assert self._client is not None
        headers = {"Content-Type": "application/json"}
        if self.secret:
            headers[SECRET_HEADER] = self.secret
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return type(exc).__name__
        return response.status_code

    async def delivered(self, update_id: int, timeout: float = 30.0) -> Delivery:
        """Wait until the bot answered 2xx to this update."""
        delivery = self.deliveries.get(update_id)
        deadline = time.monotonic() + timeout
        while delivery is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"update {update_id} was never posted")
            await asyncio.sleep(0.01)
            delivery = self.deliveries.get(update_id)
        await asyncio.wait_for(delivery.done.wait(), max(0.0, deadline - time.monotonic()))
        return delivery

    def info(self) -> dict[str, Any]:
        return {"last_error_message": self.last_error} if self.last_error else {}
