"""Webhook mode: Telegram posts each update to the bot's own HTTP server (behind a reverse proxy).

- `POST <path>`: one update. The secret header Telegram sends (set with setWebhook) must match,
  else 403 and nothing is read. The update is handled before the answer: 200 means handled and
  its conversation state written; 503 means the database was away, so nothing was stored and
  Telegram posts the update again later. A post Telegram repeats is not handled twice.
- `GET /healthz`: bot, database and NLU replicas, as JSON; 503 when the bot cannot work.
- `GET /metrics`: Prometheus text format (bot.metrics).

Many people are handled at once, but one person's updates strictly one after another, in the
order they came: a conversation is a sequence.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import socket
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

from telegram import Update
from tornado.httpserver import HTTPServer
from tornado.web import Application as WebApplication
from tornado.web import RequestHandler

from bot.app import Opora, OporaApplication, build_application, running
from bot.db import DatabaseUnavailable
from bot.metrics import CONTENT_TYPE
from bot.services import Services
from bot.settings import Settings

__all__ = ["SECRET_HEADER", "GroupCommit", "UpdateGate", "WebhookServer"]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
# Update ids remembered as handled, to answer Telegram's repeats of a post at once.
REMEMBERED = 10_000


class GroupCommit:
    """Runs `write` on behalf of many waiting callers: each caller returns once a write that
    started after its call has finished. Under load one write covers many updates."""

    def __init__(self, write: Callable[[], Awaitable[None]]) -> None:
        self._write = write
        self._lock = asyncio.Lock()
        self._requested = 0
        self._covered = 0

    async def __call__(self) -> None:
        self._requested += 1
        ticket = self._requested
        async with self._lock:
            if self._covered >= ticket:
                return
            covering = self._requested
            await self._write()
            self._covered = covering


def _person(update: Update) -> int:
    """Whose updates must be handled in order: the sender's, else the chat's."""
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return 0


class UpdateGate:
    """Hands posted updates to the application: per person in order, at most `concurrency`
    at once, each answered only when handled and stored."""

    def __init__(self, application: Opora, services: Services, concurrency: int) -> None:
        self.application = application
        self.services = services
        self._slots = asyncio.Semaphore(concurrency)
        self._people: dict[int, asyncio.Lock] = {}
        self._queued: dict[int, int] = {}
        self._running: dict[int, asyncio.Future[int]] = {}
        self._done: OrderedDict[int, None] = OrderedDict()
        self._store = GroupCommit(application.update_persistence)

    @property
    def busy(self) -> int:
        return len(self._running)

    async def handle(self, update: Update) -> int:
        """The HTTP status to answer Telegram's post of `update` with."""
        update_id = update.update_id
        if update_id in self._done:
            return 200
        if update_id in self._running:
            # Telegram gave up waiting and posted again: answer when the first try ends.
            return await asyncio.shield(self._running[update_id])
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._running[update_id] = future
        status = 500
        try:
            status = await self._handle_in_turn(update)
        finally:
            del self._running[update_id]
            future.set_result(status)
        if status == 200:
            self._done[update_id] = None
            if len(self._done) > REMEMBERED:
                self._done.popitem(last=False)
        return status

    async def _handle_in_turn(self, update: Update) -> int:
        person = _person(update)
        lock = self._people.setdefault(person, asyncio.Lock())
        self._queued[person] = self._queued.get(person, 0) + 1
        try:
            async with lock, self._slots:
                handled = await self.application.handle(update)
                if DatabaseUnavailable.__name__ in handled.errors:
                    # Nothing was stored: Telegram will post it again, and then it is handled.
                    return 503
                # The conversation state is written before Telegram hears "done", so a crash
                # after this point loses nothing. (With the database away, states wait in
                # memory and are written when it is back.)
                await self._store()
                return 200
        finally:
            self._queued[person] -= 1
            if not self._queued[person]:
                del self._queued[person]
                del self._people[person]

    async def drain(self, timeout: float) -> None:
        """Wait (up to `timeout` seconds) for the updates being handled."""
        if self._running:
            await asyncio.wait(list(self._running.values()), timeout=timeout)


class _Base(RequestHandler):
    def initialize(self, server: WebhookServer) -> None:
        self.server = server

    def check_xsrf_cookie(self) -> None:
        """An API, not a form site."""


class _Updates(_Base):
    async def post(self) -> None:
        server = self.server
        metrics = server.services.metrics
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), server.secret.encode()):
            metrics.webhook_posts.labels("403").inc()
            log.warning("Webhook post without the right secret header refused")
            self.set_status(403)
            self.finish("forbidden")
            return
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, server.application.bot)
            if update is None:
                raise ValueError("empty")
        except Exception as exc:  # any parse failure: never a traceback quoting the update
            # Telegram would post an unreadable update forever; it is counted and dropped.
            log.error("Unreadable update dropped (%s)", type(exc).__name__)
            metrics.updates.labels("unreadable", "dropped").inc()
            metrics.webhook_posts.labels("200").inc()
            self.finish("")
            return
        status = await server.gate.handle(update)
        metrics.webhook_posts.labels(str(status)).inc()
        self.set_status(status)
        self.finish("")


class _Health(_Base):
    async def get(self) -> None:
        report, healthy = await self.server.health()
        self.set_status(200 if healthy else 503)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(report))


class _Metrics(_Base):
    async def get(self) -> None:
        services = self.server.services
        metrics = services.metrics
        try:
            await metrics.refresh(services.database)
            metrics.database_up.set(1)
        except DatabaseUnavailable:
            metrics.database_up.set(0)
        metrics.persistence_pending.set(services.persistence.pending)
        self.set_header("Content-Type", CONTENT_TYPE)
        self.finish(metrics.text())


class WebhookServer:
    """The bot's HTTP server: updates, health and metrics."""

    def __init__(
        self, application: OporaApplication, services: Services, settings: Settings
    ) -> None:
        self.application = cast(Opora, application)
        self.services = services
        self.settings = settings.telegram.webhook
        # Telegram repeats this header on every post; a random one per start if none is set.
        self.secret = settings.webhook_secret or secrets.token_urlsafe(32)
        self.gate = UpdateGate(self.application, services, self.settings.concurrency)
        self.port = 0
        self._http: HTTPServer | None = None

    async def start(self) -> None:
        routes: list[Any] = [
            (self.settings.path, _Updates, {"server": self}),
            ("/healthz", _Health, {"server": self}),
            ("/metrics", _Metrics, {"server": self}),
        ]
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.settings.listen, self.settings.port))
        sock.listen(1024)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        # Updates are small; a huge body is not one.
        self._http = HTTPServer(WebApplication(routes), max_body_size=1024 * 1024, xheaders=True)
        self._http.add_sockets([sock])
        log.info("Webhook server listening on %s:%s", self.settings.listen, self.port)

    async def stop(self) -> None:
        if self._http is None:
            return
        self._http.stop()
        await self.gate.drain(timeout=10)
        await self._http.close_all_connections()
        self._http = None

    async def health(self) -> tuple[dict[str, Any], bool]:
        database = await self.services.database.ping(timeout=2)
        replicas = [
            {"url": replica.url, "up": replica.up} for replica in self.services.nlu.replicas
        ]
        nlu_up = sum(1 for replica in replicas if replica["up"])
        running = self.application.running
        healthy = running and database
        if not healthy:
            status = "down"
        elif nlu_up < len(replicas):
            # Menus and keywords still work without the NLU; free text is understood less well.
            status = "degraded"
        else:
            status = "ok"
        ledger = self.services.ledger
        report = {
            "status": status,
            "bot": {
                "running": running,
                "mode": "webhook",
                "handling": self.gate.busy,
                "updates": dict(ledger.outcomes),
                "states_waiting_for_database": self.services.persistence.pending,
            },
            "database": "up" if database else "down",
            "nlu": {"replicas": replicas, "up": nlu_up},
        }
        return report, healthy


@asynccontextmanager
async def webhook_serving(settings: Settings) -> AsyncIterator[WebhookServer]:
    """The bot in webhook mode: serving, and registered with Telegram, until the block ends."""
    services = Services.create(settings)
    services.redelivered = True
    application = build_application(settings, services, polling=False)
    async with running(application, services):
        server = WebhookServer(application, services, settings)
        await server.start()
        try:
            await application.bot.set_webhook(
                url=settings.telegram.webhook.url,
                secret_token=server.secret,
                allowed_updates=Update.ALL_TYPES,
                max_connections=settings.telegram.webhook.max_connections,
            )
            yield server
        finally:
            # Telegram keeps what arrives meanwhile and posts it after the next start.
            try:
                await application.bot.delete_webhook()
            except Exception as exc:  # stopping anyway; the next start sets it again
                log.warning("Could not remove the webhook: %s", type(exc).__name__)
            await server.stop()
