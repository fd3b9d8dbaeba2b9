"""Production faults, shortened: the bot in webhook mode on PostgreSQL loses no report, makes
none twice, answers everyone in the end, and is healthy afterwards.

- PostgreSQL restarted while people press "Send": a private server (its own data directory
  and port), so the shared test server is not disturbed.
- The Telegram server answering 429 with retry_after, 5xx and time-outs during a report.
- The bot process killed with SIGKILL in the middle of a report flow, and in the middle of
  handling "Send", then started again.
- A real Rasa NLU replica killed mid-conversation and restarted (the other replica carries on).
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from bot.localapi.client import LocalUser, settle
from bot.localapi.world import LocalTelegram
from bot.runner import webhook
from bot.settings import ROOT
from bot.webhook import WebhookServer
from tests.conftest import (
    BOT_TOKEN,
    KEY,
    _unavailable,
    bot_settings,
    cli_env,
    free_port,
    webhook_env,
)
from tests.fake_nlu import TOKEN as NLU_TOKEN
from tests.fake_nlu import FakeNlu
from tests.test_report import CODE, tap
from tests.test_webhook import metric

pytestmark = pytest.mark.postgres


class PrivatePostgres:
    """A PostgreSQL server of its own, started and stopped at will."""

    def __init__(self, bindir: Path, datadir: Path, port: int) -> None:
        self.bindir, self.datadir, self.port = bindir, datadir, port
        self.log = datadir.parent / "server.log"
        # initdb and the server refuse to run as root.
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.datadir), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def init(self) -> None:
        subprocess.run(
            [
                *self.prefix,
                str(self.bindir / "initdb"),
                "-D",
                str(self.datadir),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.datadir.parent} "
            "-c fsync=off -c max_connections=50"
        )
        self._ctl("-o", options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def new_database(self, name: str) -> str:
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        _unavailable("PostgreSQL server binaries (initdb) are not installed")
    bindir = Path(found[-1]).parent
    # Somewhere the postgres user can reach (pytest's own temporary tree is private to root).
    top = Path(tempfile.mkdtemp(prefix="opora-pg-", dir="/tmp"))
    top.chmod(0o755)
    datadir = top / "data"
    datadir.mkdir()
    if os.geteuid() == 0:
        shutil.chown(top, "postgres")
        shutil.chown(datadir, "postgres")
    server = PrivatePostgres(bindir, datadir, free_port())
    server.init()
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop()
        shutil.rmtree(top, ignore_errors=True)


async def cases_of(database_url: str) -> list[tuple[str, str]]:
    """(code, kind) of every stored case, read straight from the database."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    async with await psycopg.AsyncConnection.connect(url) as connection:
        rows = await connection.execute("SELECT code, kind FROM cases ORDER BY id")
        return [(str(code), str(kind)) for code, kind in await rows.fetchall()]


async def onboard(person: LocalUser) -> None:
    await person.say("/start")
    await person.press("English")
    await person.press("Moldova")
    await person.press("Understood")


async def ready_to_send(person: LocalUser, story: str) -> None:
    """A consultation filled in up to its summary, "Send" not yet pressed."""
    await onboard(person)
    await person.press("Talk to a person")
    await tap(person, "rep:agree:consultation")
    await person.say(story)
    await tap(person, "rep:done")
    await tap(person, "rep:one:bot")
    await tap(person, "rep:one:no")


def press_send(telegram: LocalTelegram, person: LocalUser) -> int:
    """Press "Send" without waiting; the update id."""
    for shown in reversed(person.messages()):
        for button in shown.buttons:
            if button.callback_data == "rep:submit":
                update = telegram.user_presses(person.user_id, shown.raw, "rep:submit")
                return int(update["update_id"])
    raise LookupError("no Send button")


def codes_shown(person: LocalUser) -> list[str]:
    return [m for shown in person.messages() for m in CODE.findall(shown.text)]


async def health(server: WebhookServer | int) -> tuple[int, dict[str, Any]]:
    port = server if isinstance(server, int) else server.port
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
    return answer.status_code, answer.json()


async def test_postgresql_restarted_while_people_send_their_reports(
    private_postgres: PrivatePostgres,
    make_settings: Any,
    telegram: LocalTelegram,
    nlu: FakeNlu,
) -> None:
    database_url = private_postgres.new_database("restart")
    settings = bot_settings(make_settings, database_url, telegram, nlu, **webhook_env())
    people = [LocalUser(telegram, 6100 + i, f"P{i}", "en") for i in range(3)]
    async with webhook(settings) as server:
        for i, person in enumerate(people):
            await ready_to_send(person, f"Story number {i}")
        private_postgres.stop()
        try:
            status, report = await health(server)
            assert (status, report["database"], report["status"]) == (503, "down", "down")
            sent = [press_send(telegram, person) for person in people]
            await asyncio.sleep(1.5)
            # Nothing could be stored: Telegram was told so (503) and keeps posting.
            for update_id in sent:
                assert 503 in telegram.delivery.deliveries[update_id].attempts
        finally:
            private_postgres.start()
        for update_id in sent:
            delivery = await telegram.delivery.delivered(update_id, timeout=30)
            assert delivery.attempts[-1] == 200
        await settle(telegram)
        status, report = await health(server)
        assert (status, report["status"]) == (200, "ok")
        assert report["bot"]["states_waiting_for_database"] == 0
        for person in people:
            # Told once to wait, then given the case code once.
            texts = [shown.text for shown in person.messages()]
            assert sum("Your message is not lost" in text for text in texts) == 1
            assert len(set(codes_shown(person))) == 1
    stored = await cases_of(database_url)
    assert len(stored) == 3
    assert {code for code, _ in stored} == {codes_shown(p)[0] for p in people}


async def test_telegram_flood_limits_errors_and_time_outs_during_a_report(
    postgres_url: str, make_settings: Any, telegram: LocalTelegram, nlu: FakeNlu
) -> None:
    settings = bot_settings(make_settings, postgres_url, telegram, nlu, **webhook_env())
    person = LocalUser(telegram, 6201, "Ann", "en")
    async with webhook(settings) as server:
        await onboard(person)
        telegram.inject("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        telegram.inject("editMessageText", 502, "Bad Gateway", times=2)
        # Longer than python-telegram-bot waits for an answer (5 s): a time-out, then a retry.
        telegram.inject("editMessageText", 504, "Gateway Timeout", delay=5.5)
        code = await consult_slowly(person, "Police took my documents")
        assert codes_shown(person).count(code) == 1
        status, report = await health(server)
        assert (status, report["status"]) == (200, "ok")
        async with httpx.AsyncClient() as client:
            page = (await client.get(f"http://127.0.0.1:{server.port}/metrics")).text
    assert [c for c, _ in await cases_of(postgres_url)] == [code]
    assert metric(page, "opora_outgoing_retries_total", reason="flood") == 1
    assert metric(page, "opora_outgoing_retries_total", reason="network") >= 3
    assert not telegram.faults or all(f.times == 0 for f in telegram.faults)


async def consult_slowly(person: LocalUser, story: str) -> str:
    """`consult`, with room for retries and time-outs between steps."""
    await person.press("Talk to a person", timeout=20)
    await tap(person, "rep:agree:consultation")
    for _ in range(40):
        if any(b.callback_data == "rep:done" for s in person.messages() for b in s.buttons):
            break
        await asyncio.sleep(0.5)
    await person.say(story, timeout=20)
    await tap(person, "rep:done")
    await tap(person, "rep:one:bot")
    await tap(person, "rep:one:no")
    shown = await tap(person, "rep:submit")
    found = CODE.search(shown[-1].text) if shown else None
    assert found, [s.text for s in person.messages()][-3:]
    return found.group(0)


class BotProcess:
    """`python -m bot run --webhook` in a process of its own, as systemd would run it."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--webhook"],
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


async def webhook_set(telegram: LocalTelegram, after: int, timeout: float = 60) -> None:
    """Wait until a (re)started bot process registered its webhook."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(c.method == "setWebhook" for c in telegram.calls[after:]):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("the bot did not register its webhook")


@pytest.fixture
async def bot_process(
    postgres_url: str, telegram: LocalTelegram, nlu: FakeNlu, tmp_path: Path
) -> AsyncIterator[BotProcess]:
    port = free_port()
    env = cli_env(
        OPORA_DATA_DIR=str(tmp_path / "data"),
        OPORA_DATA_KEY=KEY,
        OPORA_NLU__MANAGE="external",
        DATABASE_URL=postgres_url,
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_BASE_URL=telegram.base_url,
        NLU_URL=nlu.url,
        NLU_AUTH_TOKEN=NLU_TOKEN,
        **webhook_env(port),
    )
    bot = BotProcess(env, tmp_path / "bot.log")
    bot.start()
    try:
        await webhook_set(telegram, 0)
        yield bot
    finally:
        # In a thread: the local Telegram in this loop must answer the bot's last requests.
        await asyncio.to_thread(bot.stop)


async def test_the_bot_killed_mid_report_and_mid_send_loses_and_doubles_nothing(
    bot_process: BotProcess, telegram: LocalTelegram, postgres_url: str
) -> None:
    person = LocalUser(telegram, 6301, "Ann", "en")
    await onboard(person)
    await person.press("Talk to a person")
    await tap(person, "rep:agree:consultation")
    await person.say("They beat me at the station")
    # Killed between two steps: the story written so far must survive.
    bot_process.kill()
    before = len(telegram.calls)
    done = telegram.user_presses(person.user_id, person.last_with_buttons().raw, "rep:done")
    await asyncio.sleep(0.5)
    assert 200 not in telegram.delivery.deliveries[done["update_id"]].attempts
    bot_process.start()
    await webhook_set(telegram, before)
    await telegram.delivery.delivered(done["update_id"])
    await settle(telegram)
    await tap(person, "rep:one:bot")
    await tap(person, "rep:one:no")
    assert "They beat me at the station" in person.last.text  # the summary
    # Killed while handling "Send": the case is stored, the answer is not out yet.
    telegram.inject("editMessageText", 502, "Bad Gateway", delay=30)
    before = len(telegram.calls)
    send = press_send(telegram, person)
    for _ in range(200):
        if any(c.method == "editMessageText" for c in telegram.calls[before:]):
            break
        await asyncio.sleep(0.05)
    assert len(await cases_of(postgres_url)) == 1
    bot_process.kill()
    telegram.faults.clear()
    before = len(telegram.calls)
    bot_process.start()
    await webhook_set(telegram, before)
    await telegram.delivery.delivered(send)
    await settle(telegram)
    stored = await cases_of(postgres_url)
    assert len(stored) == 1
    assert codes_shown(person) == [stored[0][0]]
    status, report = await health(int(bot_process.env["OPORA_TELEGRAM__WEBHOOK__PORT"]))
    assert (status, report["status"]) == (200, "ok")
    # And the person can go on.
    shown = await person.say("/menu")
    assert any("Talk to a person" in b.label for b in shown[-1].buttons)
