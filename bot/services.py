"""The long-lived services handlers use, opened before the bot starts and closed after it."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.chatlog import MessageLog
from bot.content.library import ContentLibrary
from bot.db import Database, configured
from bot.directory.demo import DEMO_FILE
from bot.directory.directory import Directory
from bot.i18n import Catalogs
from bot.keywords import KeywordFallback
from bot.metrics import Metrics
from bot.nlu import NluClient
from bot.observe import Ledger
from bot.persistence import DatabasePersistence
from bot.ratelimit import RateLimiter
from bot.settings import ROOT, Settings
from bot.usage import Usage

__all__ = ["Services"]


@dataclass
class Services:
    settings: Settings
    database: Database
    content: ContentLibrary
    nlu: NluClient
    keywords: KeywordFallback
    persistence: DatabasePersistence
    directory: Directory
    messages: MessageLog
    ledger: Ledger
    rate_limiter: RateLimiter
    metrics: Metrics
    usage: Usage
    # Webhook mode: an update that failed for want of the database is posted again by Telegram.
    redelivered: bool = False
    # Updates whose sender was already told to wait for the database (said once, not per try).
    told_to_wait: set[int] = field(default_factory=set)

    @property
    def catalogs(self) -> Catalogs:
        """The UI translations currently live (they reload with the content)."""
        return self.content.catalogs

    @classmethod
    def create(cls, settings: Settings) -> Services:
        """Build (but do not open) every service from the settings."""
        database = configured(settings)
        metrics = Metrics()
        return cls(
            settings=settings,
            database=database,
            content=ContentLibrary(
                ROOT,
                settings.languages,
                settings.countries,
                content_dir=ROOT / settings.content.content_dir,
                locales_dir=ROOT / settings.content.locales_dir,
            ),
            nlu=NluClient(
                settings.nlu.urls,
                settings.nlu.timeout_seconds,
                settings.nlu_auth_token,
                metrics=metrics,
                probe_interval=settings.nlu.probe_interval_seconds,
            ),
            keywords=KeywordFallback.from_file(ROOT / "nlu" / "keywords.yml"),
            persistence=DatabasePersistence(database, settings.persistence_interval_seconds),
            directory=Directory(database, settings.countries, ROOT / DEMO_FILE),
            messages=MessageLog(database),
            ledger=Ledger(metrics=metrics),
            metrics=metrics,
            rate_limiter=RateLimiter(settings.safety.burst, settings.safety.per_minute),
            usage=Usage(database),
        )

    async def open(self) -> None:
        await self.database.migrate()
        await self.directory.open()
        await self.nlu.open(probe=True)

    async def close(self) -> None:
        try:
            await self.usage.flush()
        finally:
            await self.nlu.close()
        await self.database.close()
