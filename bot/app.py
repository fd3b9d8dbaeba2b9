"""The one place that wires the application: every handler, in order, and its lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import BotCommand
from telegram.ext import Application, ApplicationBuilder

from bot import (
    alert,
    answers,
    case_chat,
    case_desk,
    coordinators,
    find_service,
    forget_me,
    main_menu,
    onboarding,
    people,
    report_violation,
    retention,
    safety,
    understand,
    unsupported,
)
from bot.context import CONTEXT_TYPES
from bot.errors import on_error
from bot.i18n import N_
from bot.observe import Handled, Ledger, name_handlers
from bot.outgoing import OutgoingLimiter
from bot.services import Services
from bot.settings import Settings

__all__ = ["Opora", "OporaApplication", "build_application", "running"]

log = logging.getLogger(__name__)

OporaApplication = Application[Any, Any, Any, Any, Any, Any]


class Opora(Application[Any, Any, Any, Any, Any, Any]):
    """The application, with every update's outcome and timing noted (bot.observe)."""

    async def process_update(self, update: object) -> None:
        await self.handle(update)

    async def handle(self, update: object) -> Handled:
        """Process one update; what became of it (errors, outcome, time)."""
        ledger: Ledger = self.bot_data.services.ledger
        with ledger.handling(update) as handled:
            await super().process_update(update)
        return handled

    async def update_persistence(self) -> None:
        """Write changed states, then any that waited while the database was away."""
        await super().update_persistence()
        await self.bot_data.services.persistence.write_pending()


# (command, description) shown in Telegram's command menu.
COMMANDS = (
    ("menu", N_("Main menu")),
    ("language", N_("Change the language")),
    ("privacy", N_("What Opora stores about you")),
    ("report", N_("Report a rights violation")),
    ("case", N_("My cases")),
    ("wipe", N_("Clear this chat")),
    ("forget", N_("Erase your data")),
    ("help", N_("What Opora can do")),
)


def build_application(
    settings: Settings, services: Services, polling: bool = True
) -> OporaApplication:
    """Build the bot with every handler registered; nothing is started or connected yet.
    Without `polling` (webhook mode) there is no updater: updates are handed in by the server."""
    limiter = OutgoingLimiter(
        services.ledger, flood_limits=settings.telegram.flood_limits, metrics=services.metrics
    )
    limiter.on_sent(services.messages.record)
    builder = (
        ApplicationBuilder()
        .application_class(Opora)
        .token(settings.bot_token)
        .context_types(CONTEXT_TYPES)
        .persistence(services.persistence)
        .rate_limiter(limiter)
        .get_updates_read_timeout(settings.telegram.poll_timeout_seconds + 10)
        # Connections to the Bot API kept open. httpcore scans the whole pool for every
        # request, so the default of 256 (all of them open after a burst) costs ~10% CPU under
        # load; 64 is plenty for the updates handled at once. Past that, a request waits.
        .connection_pool_size(64)
        .pool_timeout(10.0)
    )
    if not polling:
        builder = builder.updater(None)
    if settings.telegram.base_url:
        base = settings.telegram.base_url.rstrip("/")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    application = builder.build()
    application.bot_data.services = services

    # Group -2 sees every update first: notes messages for /wipe, keeps out groups, edits and
    # floods. Group -1 then decides who is writing and in which language.
    application.add_handlers(safety.guard_handlers(), group=-2)
    application.add_handlers(people.handlers(), group=-1)
    # Group 0: the first matching handler wins, so specific flows come before the catch-alls.
    application.add_handlers(onboarding.handlers())
    application.add_handlers(main_menu.handlers())
    application.add_handlers(answers.handlers())
    application.add_handlers(safety.handlers())
    application.add_handlers(alert.handlers())
    application.add_handlers(coordinators.handlers())
    # A report in progress takes its own buttons, texts and locations before anything below.
    application.add_handlers(report_violation.handlers())
    application.add_handlers(find_service.handlers())
    # The paralegals' workspace chats, and people writing to their paralegal: never the NLU.
    application.add_handlers(case_desk.handlers(sorted(set(settings.paralegals.groups.values()))))
    application.add_handlers(case_chat.handlers(application))
    application.add_handlers(forget_me.handlers())
    application.add_handlers(understand.handlers())
    # Last: stale buttons, unknown commands and message types no feature handles.
    application.add_handlers(unsupported.handlers())
    for group in application.handlers.values():
        name_handlers(group)
    application.add_error_handler(on_error)
    if application.job_queue is not None:
        interval = settings.paralegals.reannounce_minutes * 60
        jobs = application.job_queue
        jobs.run_repeating(case_desk.reannounce, interval=interval, first=interval)
        sweep = settings.safety.sweep_interval_seconds
        jobs.run_repeating(safety.sweep, interval=sweep, first=min(1.0, sweep))
        jobs.run_repeating(_write_usage, interval=60, first=60)
        jobs.run_repeating(
            retention.retention_job,
            interval=24 * 3600,
            first=settings.safety.retention_first_run_seconds,
        )
    return application


async def _write_usage(context: Any) -> None:
    """Usage counts (bot.usage) go to the database once a minute."""
    await context.bot_data.services.usage.flush()


async def _publish_commands(application: OporaApplication, services: Services) -> None:
    """Telegram's command menu, in every language the bot speaks."""
    for lang in services.settings.languages.supported:
        t = services.catalogs.get(lang)
        commands = [BotCommand(name, t.gettext(text)) for name, text in COMMANDS]
        code = None if lang == services.settings.languages.default else lang
        await application.bot.set_my_commands(commands, language_code=code)


@asynccontextmanager
async def _content_reloading(services: Services) -> AsyncIterator[None]:
    """Edited content reaches the running bot: a file watcher, and SIGHUP to reload at once."""
    interval = services.settings.content.reload_interval_seconds
    watcher = asyncio.create_task(services.content.watch(interval)) if interval > 0 else None
    loop = asyncio.get_running_loop()
    hangup = False
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        # Only the main thread of a Unix process can take signals.
        loop.add_signal_handler(signal.SIGHUP, services.content.reload)
        hangup = True
    try:
        yield
    finally:
        if hangup:
            loop.remove_signal_handler(signal.SIGHUP)
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


@asynccontextmanager
async def running(application: OporaApplication, services: Services) -> AsyncIterator[None]:
    """Open the services, then the bot (loading persisted state), and close both in reverse."""
    await services.open()
    try:
        async with application, _content_reloading(services):
            await _publish_commands(application, services)
            await application.start()
            try:
                yield
            finally:
                if application.updater is not None and application.updater.running:
                    await application.updater.stop()
                await application.stop()
    finally:
        await services.close()
