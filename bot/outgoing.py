"""Every request the bot makes to Telegram passes here (python-telegram-bot's rate-limiter hook).

- Telegram's flood limits: python-telegram-bot's AIORateLimiter spaces requests out and, when
  Telegram still answers 429, waits the `retry_after` it gave and tries again.
- Network trouble (time-outs, lost connections, 5xx answers) is retried a few times with a
  growing pause. A time-out after Telegram did deliver can then show a message twice; that is
  the better error than a lost one.
- Messages sent into private chats are handed to the message log (for /wipe and disappearing
  messages), and the update being handled is marked as answered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot.metrics import Metrics
from bot.observe import Ledger

__all__ = ["OutgoingLimiter", "SentHook", "untracked"]

log = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]
# Called with (chat id, message id) for every message the bot put into a private chat.
SentHook = Callable[[int, int], Awaitable[None]]

# Methods whose result is a new message (or several) in the chat.
SENDING = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendVoice",
        "sendVideo",
        "sendAudio",
        "sendAnimation",
        "sendSticker",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
    }
)
# Set while sending a message that must not be noted (the last words after erasing someone).
_untracked: ContextVar[bool] = ContextVar("untracked", default=False)


@contextmanager
def untracked() -> Iterator[None]:
    token = _untracked.set(True)
    try:
        yield
    finally:
        _untracked.reset(token)


NETWORK_RETRIES = 3
FIRST_PAUSE = 0.5


class OutgoingLimiter(BaseRateLimiter[int]):
    """AIORateLimiter plus retries (counted), the message log and the update ledger."""

    def __init__(
        self,
        ledger: Ledger,
        max_retries: int = 3,
        network_retries: int = NETWORK_RETRIES,
        first_pause: float = FIRST_PAUSE,
        flood_limits: bool = True,
        metrics: Metrics | None = None,
    ) -> None:
        self._inner = (
            AIORateLimiter(max_retries=max_retries)
            if flood_limits
            else AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=max_retries)
        )
        self._ledger = ledger
        self._network_retries = network_retries
        self._first_pause = first_pause
        self._hook: SentHook | None = None
        self._metrics = metrics
        self.retries: dict[str, int] = {"network": 0, "flood": 0}

    def on_sent(self, hook: SentHook) -> None:
        self._hook = hook

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    def _retrying(self, reason: str) -> None:
        self.retries[reason] += 1
        if self._metrics is not None:
            self._metrics.outgoing_retries.labels(reason).inc()

    def _failed(self, error: Exception) -> None:
        if self._metrics is not None:
            self._metrics.outgoing_failures.labels(type(error).__name__).inc()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        if endpoint == "getUpdates":
            return await callback(*args, **kwargs)
        self._ledger.answered()

        async def counted(*call_args: Any, **call_kwargs: Any) -> JSONResult:
            # The inner limiter waits out a 429 (pausing every request meanwhile) and calls
            # this again; each 429 is counted on its way through.
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter:
                self._retrying("flood")
                raise

        pause = self._first_pause
        for attempt in range(self._network_retries + 1):
            try:
                result = await self._inner.process_request(
                    counted, args, kwargs, endpoint, data, rate_limit_args
                )
                break
            except BadRequest as exc:
                self._failed(exc)
                raise  # the request itself is wrong: sending it again cannot help
            except NetworkError as exc:
                if attempt == self._network_retries:
                    self._failed(exc)
                    raise
                self._retrying("network")
                log.warning(
                    "%s failed (%s); retry %d in %.1f s",
                    endpoint,
                    type(exc).__name__,
                    attempt + 1,
                    pause,
                )
                await asyncio.sleep(pause)
                pause *= 2
            except RetryAfter as exc:
                self._failed(exc)
                raise
        if endpoint in SENDING and self._hook is not None and not _untracked.get():
            await self._track(data, result)
        return result

    async def _track(self, data: dict[str, Any], result: JSONResult) -> None:
        try:
            chat_id = int(data.get("chat_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return
        if chat_id <= 0:
            return  # groups and channels: only private chats (positive ids) are wiped
        results = result if isinstance(result, list) else [result]
        for item in results:
            if isinstance(item, dict) and "message_id" in item and self._hook is not None:
                try:
                    await self._hook(chat_id, int(item["message_id"]))
                except Exception as exc:  # the message is sent: a lost note must not undo that
                    log.warning("Sent message not noted for deletion: %s", type(exc).__name__)
