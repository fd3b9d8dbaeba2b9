"""What happened to each update: answered, deliberately ignored, or (a bug) neither.

Every update runs inside :func:`handling`, which remembers its id in a context variable. Every
request the bot sends to Telegram while it runs marks the update as answered (bot.outgoing);
a handler that decides to say nothing calls :func:`ignore` with a reason. An update that ends
with neither is logged as "unanswered", which the tests treat as a failure. Only update ids,
update kinds, handler names, reasons, timings and error types are recorded: never content or
people.
"""

from __future__ import annotations

import functools
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, ConversationHandler

from bot.metrics import Metrics

__all__ = ["Handled", "Ledger", "current_update", "ignore", "name_handlers", "update_kind"]

log = logging.getLogger(__name__)

# The id of the update being handled in this task, if any (jobs run without one).
current_update: ContextVar[int | None] = ContextVar("current_update", default=None)
# What is being noted about it: the handlers that ran, errors, the outcome.
_handling: ContextVar[Handled | None] = ContextVar("handling", default=None)

# How many recent outcomes are kept for tests and health checks.
RECENT = 20_000


def update_kind(update: object) -> str:
    """A coarse, content-free name for what an update is: "text", "callback_query", "sticker"…"""
    if not isinstance(update, Update):
        return type(update).__name__
    message = update.message
    if message is not None:
        if message.text is not None:
            return "command" if message.text.startswith("/") else "text"
        for kind in (
            "photo",
            "document",
            "voice",
            "video",
            "video_note",
            "audio",
            "animation",
            "sticker",
            "location",
            "venue",
            "contact",
            "poll",
            "dice",
        ):
            if getattr(message, kind, None):
                return kind
        return "message_other"
    for kind in (
        "callback_query",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "my_chat_member",
        "chat_member",
        "inline_query",
        "poll",
        "poll_answer",
        "message_reaction",
    ):
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


@dataclass
class Handled:
    """What became of one update: for the log line, the metrics and the webhook's answer."""

    update_id: int | None
    kind: str
    handlers: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    outcome: str = ""
    seconds: float = 0.0


@dataclass
class Ledger:
    """Outcomes and timings of the updates this process handled."""

    outcomes: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    recent: OrderedDict[int, str] = field(default_factory=OrderedDict)
    durations: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    _answered: set[int] = field(default_factory=set)
    _ignored: dict[int, str] = field(default_factory=dict)
    metrics: Metrics | None = None

    def answered(self) -> None:
        """The bot sent something to Telegram for the current update."""
        update_id = current_update.get()
        if update_id is not None:
            self._answered.add(update_id)

    def failed(self, error_type: str) -> None:
        """A handler raised (the error handler apologised to the person)."""
        self.errors[error_type] += 1
        handled = _handling.get()
        if handled is not None:
            handled.errors.append(error_type)
        if self.metrics is not None:
            self.metrics.handler_errors.labels(error_type).inc()

    def ignored(self, reason: str) -> None:
        update_id = current_update.get()
        if update_id is not None:
            self._ignored[update_id] = reason

    @contextmanager
    def handling(self, update: object) -> Iterator[Handled]:
        """Wraps the processing of one update."""
        update_id = update.update_id if isinstance(update, Update) else None
        handled = Handled(update_id, update_kind(update))
        token = current_update.set(update_id)
        handling_token = _handling.set(handled)
        started = time.perf_counter()
        try:
            yield handled
        finally:
            handled.seconds = time.perf_counter() - started
            current_update.reset(token)
            _handling.reset(handling_token)
            if update_id is not None:
                self._finish(update_id, handled)

    def _finish(self, update_id: int, handled: Handled) -> None:
        kind, seconds, handlers = handled.kind, handled.seconds, handled.handlers
        if update_id in self._answered:
            outcome = "answered"
        elif update_id in self._ignored:
            outcome = "ignored:" + self._ignored[update_id]
        else:
            outcome = "unanswered"
            log.warning(
                "Update %s (%s) got no answer and was not ignored on purpose", update_id, kind
            )
        self._answered.discard(update_id)
        self._ignored.pop(update_id, None)
        handled.outcome = outcome
        self.outcomes[outcome.split(":", 1)[0]] += 1
        self.kinds[kind] += 1
        if self.metrics is not None:
            self.metrics.updates.labels(kind, outcome.split(":", 1)[0]).inc()
            self.metrics.update_seconds.labels(kind).observe(seconds)
        self.recent[update_id] = outcome
        while len(self.recent) > RECENT:
            self.recent.popitem(last=False)
        self.durations.append(seconds)
        if len(self.durations) > RECENT:
            del self.durations[: RECENT // 2]
        log.debug(
            "Update %s (%s) %s by %s in %.1f ms",
            update_id,
            kind,
            outcome,
            ", ".join(handlers) or "-",
            seconds * 1000,
        )


def _named(callback: Callable[..., Any]) -> Callable[..., Any]:
    """The callback, noting its name in the current update's list when it runs."""
    name = f"{callback.__module__.removeprefix('bot.')}.{callback.__name__}"

    @functools.wraps(callback)
    async def run(update: object, context: Any) -> Any:
        handled = _handling.get()
        if handled is not None:
            handled.handlers.append(name)
        return await callback(update, context)

    return run


def name_handlers(handlers: Iterable[BaseHandler[Any, Any, Any]]) -> None:
    """Let every handler (also inside conversations) say its name in the update's log line."""
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            nested = [*handler.entry_points, *handler.fallbacks]
            nested += [h for state in handler.states.values() for h in state]
            name_handlers(nested)
        elif getattr(handler, "callback", None) is not None and not getattr(
            handler.callback, "__wrapped__", None
        ):
            handler.callback = _named(handler.callback)


def ignore(ledger: Ledger, reason: str) -> None:
    """Say nothing on purpose about the current update (a reason for the log and the tests)."""
    ledger.ignored(reason)
