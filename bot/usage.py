"""How the bot is used, for coordinators and content editors: counts per week and language.

Counted (never per person, never what was written):
- `conversation`: a person's first message of a day;
- `free_text`: messages read by the NLU; `intent` (key: the intent answered); `not_placed`
  (the NLU could not place it); `did_you_mean` (key: its best guess) and `chosen` (key: the
  intent picked from "Did you mean"); `nlu_down` (answered from keywords or the menu);
- `service_search` (key: the service type searched).

Counts are kept in memory and written every minute and on stop (a crash loses at most a
minute of statistics, never a conversation). People who opted in to "help improve Opora" also
leave the text of a message the bot did not understand: encrypted, without who wrote it, and
deleted after 30 days by the retention job.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from bot.db import Database, DatabaseUnavailable
from bot.db.models import NluSample, UsageCount

__all__ = ["SAMPLE_DAYS", "Usage", "week_of"]

log = logging.getLogger(__name__)

# How long opted-in samples of misunderstood messages are kept.
SAMPLE_DAYS = 30


def week_of(day: dt.date) -> dt.date:
    """The Monday of the week `day` is in."""
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class _Sample:
    language: str
    reason: str
    guess: str | None
    text: str
    at: dt.datetime


class Usage:
    """Counts in memory, written to the database by :meth:`flush`."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._counts: Counter[tuple[dt.date, str, str, str]] = Counter()
        self._samples: list[_Sample] = []

    def note(self, metric: str, language: str, key: str = "") -> None:
        week = week_of(dt.datetime.now(dt.UTC).date())
        self._counts[(week, metric, language, key[:64])] += 1

    def sample(self, language: str, reason: str, guess: str | None, text: str) -> None:
        """Keep a misunderstood message (only call this for people who opted in)."""
        self._samples.append(_Sample(language, reason, guess, text, dt.datetime.now(dt.UTC)))

    async def flush(self) -> None:
        """Add the counts to the database; on failure they wait for the next flush."""
        counts, self._counts = self._counts, Counter()
        samples, self._samples = self._samples, []
        if not counts and not samples:
            return
        try:
            async with self.database.session() as session:
                for (week, metric, language, key), n in counts.items():
                    row = await session.scalar(
                        select(UsageCount).where(
                            UsageCount.week == week,
                            UsageCount.metric == metric,
                            UsageCount.language == language,
                            UsageCount.key == key,
                        )
                    )
                    if row is None:
                        session.add(
                            UsageCount(
                                week=week, metric=metric, language=language, key=key, count=n
                            )
                        )
                    else:
                        row.count += n
                session.add_all(
                    NluSample(
                        language=s.language,
                        reason=s.reason,
                        guess=s.guess,
                        text=s.text,
                        created_at=s.at,
                    )
                    for s in samples
                )
        except DatabaseUnavailable:
            self._counts.update(counts)
            self._samples[:0] = samples
            log.warning("Usage counts not written (database unavailable); kept for the next try")
