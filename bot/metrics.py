"""What `/metrics` reports, in Prometheus' text format.

Only counts, kinds, statuses and timings: never content, people or ids. Each application has its
own registry (tests run several bots in one process). Components that are measured get the
:class:`Metrics` object; the open-case gauge is read from the database when scraped.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import func, select

from bot.cases.store import CLOSED, STATUSES
from bot.cases.tables import Case
from bot.db import Database

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Seconds; the targets are tens of milliseconds, time-outs are seconds.
BUCKETS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The bot's metrics, registered in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.updates = Counter(
            "opora_updates",
            "Updates handled, by kind (text, callback_query, location…) and outcome "
            "(answered, ignored on purpose, unanswered).",
            ["kind", "outcome"],
            registry=registry,
        )
        self.update_seconds = Histogram(
            "opora_update_seconds",
            "Time the handlers took for one update, from its arrival to the end of handling.",
            ["kind"],
            buckets=BUCKETS,
            registry=registry,
        )
        self.handler_errors = Counter(
            "opora_handler_errors",
            "Handler errors, by exception type (the person was told something went wrong).",
            ["error"],
            registry=registry,
        )
        self.nlu_seconds = Histogram(
            "opora_nlu_request_seconds",
            "NLU parse requests that got an answer, by replica.",
            ["replica"],
            buckets=BUCKETS,
            registry=registry,
        )
        self.nlu_errors = Counter(
            "opora_nlu_errors",
            "NLU parse requests that failed, by replica and reason.",
            ["replica", "reason"],
            registry=registry,
        )
        self.nlu_up = Gauge(
            "opora_nlu_replica_up",
            "1 while the NLU replica answers, 0 while it is skipped.",
            ["replica"],
            registry=registry,
        )
        self.nlu_fallbacks = Counter(
            "opora_nlu_fallbacks",
            "Messages answered from keywords and menus because no NLU replica answered.",
            registry=registry,
        )
        self.outgoing_retries = Counter(
            "opora_outgoing_retries",
            "Requests to Telegram sent again: flood (429 retry_after) or network "
            "(time-out, lost connection, 5xx).",
            ["reason"],
            registry=registry,
        )
        self.outgoing_failures = Counter(
            "opora_outgoing_failures",
            "Requests to Telegram that failed after every retry, by error type.",
            ["error"],
            registry=registry,
        )
        self.webhook_posts = Counter(
            "opora_webhook_posts",
            "Posts to the webhook endpoint, by the HTTP status answered (403: wrong secret; "
            "503: not stored, Telegram will post it again).",
            ["status"],
            registry=registry,
        )
        self.open_cases = Gauge(
            "opora_cases_open",
            "Cases not yet resolved, closed or withdrawn, by status.",
            ["status"],
            registry=registry,
        )
        self.database_up = Gauge(
            "opora_database_up", "1 if the database answered the last check.", registry=registry
        )
        self.persistence_pending = Gauge(
            "opora_persistence_pending",
            "Conversation states waiting to be written because the database did not answer.",
            registry=registry,
        )
        for reason in ("flood", "network"):
            self.outgoing_retries.labels(reason)

    async def refresh(self, database: Database) -> None:
        """Read the values that live in the database (at scrape time)."""
        counts = dict.fromkeys((s for s in STATUSES if s not in CLOSED), 0)
        async with database.session() as session:
            rows = await session.execute(
                select(Case.status, func.count())
                .where(Case.status.not_in(CLOSED))
                .group_by(Case.status)
            )
            for status, count in rows:
                counts[str(status)] = int(count)
        for status, count in counts.items():
            self.open_cases.labels(status).set(count)

    def text(self) -> bytes:
        return generate_latest(self.registry)
