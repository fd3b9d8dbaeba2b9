"""Running the bot for real: long polling against Telegram or any Bot API-compatible server.

Start-up failures a person can fix (a rejected token, an unreachable server, a database that is
down) become :class:`StartupError` with the fix in the message, never a traceback.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError, TimedOut

from bot.app import OporaApplication, build_application, running
from bot.db import DatabaseUnavailable
from bot.nlu import NluClient
from bot.nlu_service import embedded_nlu
from bot.services import Services
from bot.settings import Settings
from bot.webhook import WebhookServer, webhook_serving

__all__ = ["StartupError", "run_polling", "serving", "webhook"]

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The bot cannot start; the message says why and what to do."""


def _server_name(settings: Settings) -> str:
    return settings.telegram.base_url or "https://api.telegram.org"


@asynccontextmanager
async def _explained(settings: Settings) -> AsyncIterator[None]:
    """Start-up failures a person can fix become a StartupError that says how."""
    try:
        yield
    except InvalidToken:
        raise StartupError(
            f"{_server_name(settings)} rejected the bot token. Check TELEGRAM_BOT_TOKEN: get a "
            "token from @BotFather in Telegram (/newbot or /token), or unset it to use the "
            "local chat."
        ) from None
    except (TimedOut, NetworkError) as exc:
        raise StartupError(
            f"Cannot reach the Bot API server at {_server_name(settings)} "
            f"({type(exc).__name__}). Check your network, or TELEGRAM_BASE_URL if you run "
            "your own server."
        ) from None
    except DatabaseUnavailable as exc:
        raise StartupError(f"Opora {exc}") from None
    except TelegramError as exc:
        raise StartupError(
            f"The Bot API server at {_server_name(settings)} refused to start the bot: {exc}"
        ) from None


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[OporaApplication]:
    """The bot, running with its services and polling for updates, until the block ends."""
    services = Services.create(settings)
    application = build_application(settings, services)
    async with _explained(settings), running(application, services):
        assert application.updater is not None
        await application.updater.start_polling(
            timeout=int(settings.telegram.poll_timeout_seconds),
            allowed_updates=Update.ALL_TYPES,
        )
        yield application


@asynccontextmanager
async def webhook(settings: Settings) -> AsyncIterator[WebhookServer]:
    """The bot in webhook mode (bot.webhook), until the block ends."""
    hooks = settings.telegram.webhook
    try:
        async with _explained(settings), webhook_serving(settings) as server:
            yield server
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise
        raise StartupError(
            f"Cannot listen on {hooks.listen}:{hooks.port} ({exc.strerror or exc}). Is another "
            "process using the port? Set OPORA_TELEGRAM__WEBHOOK__PORT."
        ) from None


async def wait_for_nlu(settings: Settings) -> bool:
    """Give the NLU service time to load before taking updates; Telegram keeps them meanwhile."""
    client = NluClient(settings.nlu.urls, 2.0, settings.nlu_auth_token)
    await client.open()
    try:
        deadline = time.monotonic() + settings.nlu.startup_wait_seconds
        while time.monotonic() < deadline:
            if await client.ready():
                return True
            await asyncio.sleep(1)
        log.warning(
            "NLU service not ready after %ss; starting with menus and keywords",
            settings.nlu.startup_wait_seconds,
        )
        return False
    finally:
        await client.close()


async def run_polling(settings: Settings, announce: Callable[[str], None]) -> None:
    """Run until SIGINT or SIGTERM, with the embedded NLU service if configured: long polling,
    or webhook mode if the settings say so."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with embedded_nlu(settings) as settings:
        if settings.nlu.manage == "embedded":
            # Rasa takes ~20 s to load; an external service is either up or not.
            await wait_for_nlu(settings)
        if settings.telegram.mode == "webhook":
            hooks = settings.telegram.webhook
            async with webhook(settings) as server:
                me = server.application.bot.username
                announce(
                    f"Opora is running as @{me} in webhook mode: Telegram posts to "
                    f"{hooks.url}, served on {hooks.listen}:{server.port}{hooks.path} "
                    f"(health: /healthz, metrics: /metrics). SIGTERM or Ctrl+C stops it."
                )
                await stop.wait()
            return
        async with serving(settings) as application:
            me = application.bot.username
            announce(
                f"Opora is running as @{me} against {_server_name(settings)} (long polling). "
                "Ctrl+C stops it."
            )
            await stop.wait()
