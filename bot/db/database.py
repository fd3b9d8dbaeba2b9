"""The database handle: one async engine, sessions, and migrations applied on start."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.crypto import Cipher, DecryptionError, load_or_create_key
from bot.db.types import attach_cipher
from bot.settings import ROOT, DatabaseSettings, Settings

__all__ = ["Database", "DatabaseUnavailable", "SchemaState", "configured", "resolve_url"]

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseUnavailable(Exception):
    """The database cannot be reached or refused the connection."""


def resolve_url(url: str, root: Path) -> tuple[URL, URL]:
    """The (async, sync) driver URLs for a configured URL; relative SQLite paths are under root."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not Path(database).is_absolute():
            parsed = parsed.set(database=str(root / database))
        return parsed.set(drivername="sqlite+aiosqlite"), parsed.set(drivername="sqlite")
    parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed, parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL loses nothing when the process dies (only on power loss, the last
    # moments); FULL would fsync on every commit, several times per message.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    newest: str | None
    # None: no data is encrypted yet (a new database).
    key_reads: bool | None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.newest


class Database:
    """Owns the engine; `session()` gives a transaction that commits on success."""

    def __init__(
        self, url: str, cipher: Cipher, root: Path, pool: DatabaseSettings | None = None
    ) -> None:
        self.async_url, self.sync_url = resolve_url(url, root)
        self.cipher = cipher
        if self.async_url.get_backend_name() == "sqlite" and self.async_url.database:
            Path(self.async_url.database).parent.mkdir(parents=True, exist_ok=True)
        options: dict[str, Any] = {}
        self.connect_timeout = 5
        if not self.is_sqlite:
            pool = pool or DatabaseSettings(url=url)
            options = {
                "pool_size": pool.pool_size,
                "max_overflow": pool.max_overflow,
                "pool_timeout": pool.pool_timeout_seconds,
                # A connection unused this long is replaced (proxies and firewalls drop idle
                # connections silently).
                "pool_recycle": 1800,
                "connect_args": {"connect_timeout": pool.connect_timeout_seconds},
            }
            self.connect_timeout = pool.connect_timeout_seconds
        # pre_ping: a connection is tested before use, so a restarted server is reconnected to.
        self.engine: AsyncEngine = create_async_engine(
            self.async_url, pool_pre_ping=True, **options
        )
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        attach_cipher(self.engine.sync_engine.dialect, cipher)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.async_url.get_backend_name() == "sqlite"

    async def ping(self, timeout: float = 3.0) -> bool:
        """Whether the database answers a trivial query within `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout), self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (TimeoutError, OperationalError, DBAPIError, OSError):
            return False
        return True

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        try:
            async with self._sessions.begin() as session:
                yield session
        except (OperationalError, DBAPIError) as exc:
            if exc.connection_invalidated or isinstance(exc, OperationalError):
                raise DatabaseUnavailable(type(exc.orig).__name__) from exc
            raise

    def _sync_engine(self) -> Engine:
        if self.is_sqlite:
            engine = create_engine(self.sync_url)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(self.sync_url, connect_args={"connect_timeout": self.connect_timeout})

    def migrate_sync(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        engine = self._sync_engine()
        try:
            with engine.begin() as connection:
                config = Config()
                config.set_main_option("script_location", str(MIGRATIONS))
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                self._load_subject_key(connection)
        except OperationalError as exc:
            raise DatabaseUnavailable(_explain(self.sync_url, exc)) from None
        finally:
            engine.dispose()

    def check_sync(self) -> SchemaState:
        """Where the schema stands, and whether the data key reads this database; changes
        nothing."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        newest = ScriptDirectory.from_config(config).get_current_head()
        engine = self._sync_engine()
        try:
            with engine.connect() as connection:
                current = MigrationContext.configure(connection).get_current_revision()
                key_reads: bool | None = None
                if current is not None:
                    row = connection.execute(
                        text("SELECT value FROM opora_secrets WHERE name = 'subject_key'")
                    ).first()
                    if row is not None:
                        try:
                            self.cipher.decrypt(row[0])
                            key_reads = True
                        except DecryptionError:
                            key_reads = False
        except OperationalError as exc:
            raise DatabaseUnavailable(_explain(self.sync_url, exc)) from None
        finally:
            engine.dispose()
        return SchemaState(current=current, newest=newest, key_reads=key_reads)

    def _load_subject_key(self, connection: Connection) -> None:
        """Pseudonyms come from a key stored (encrypted) in the database, created on first use
        from the data key, so that rotating the data key keeps every pseudonym."""
        row = connection.execute(
            text("SELECT value FROM opora_secrets WHERE name = 'subject_key'")
        ).first()
        if row is None:
            stored = base64.b64encode(self.cipher.subject_key).decode("ascii")
            connection.execute(
                text("INSERT INTO opora_secrets (name, value) VALUES ('subject_key', :value)"),
                {"value": self.cipher.encrypt(stored)},
            )
            return
        try:
            self.cipher.subject_key = base64.b64decode(self.cipher.decrypt(row[0]))
        except DecryptionError:
            raise DatabaseUnavailable(
                "cannot read this database with the data key it was given: it was written with "
                "another OPORA_DATA_KEY (or data/data.key). Use that key; during a rotation list "
                "both, newest first."
            ) from None

    async def migrate(self) -> None:
        await asyncio.to_thread(self.migrate_sync)

    async def close(self) -> None:
        await self.engine.dispose()


def configured(settings: Settings) -> Database:
    """The configured database with its pool and the data key (with SQLite, a key file is
    created on first use)."""
    key = settings.data_key or load_or_create_key(settings.data_dir)
    return Database(settings.database.url, Cipher(key), ROOT, pool=settings.database)


def _explain(url: URL, exc: OperationalError) -> str:
    shown = url.render_as_string(hide_password=True)
    return (
        f"cannot open the database {shown} ({type(exc.orig).__name__}). "
        "Check that the server is running and DATABASE_URL is right."
    )
