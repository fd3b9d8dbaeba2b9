"""What the safety layer costs per update: the notes kept for /wipe and disappearing messages.

Run: .venv/bin/python benchmarks/safety.py [--updates 300]
The real bot runs against the local Bot API server and a fake NLU, on SQLite and on PostgreSQL
(127.0.0.1:5432). One person sends free-text questions, then presses menu buttons, one update at a
time; each is timed from the moment python-telegram-bot hands it to the application until its
last reply is sent (the update ledger), with Telegram's flood limits off (the local server has
none). Then the same with the message notes switched off. Compare the ratios, not the absolute
times across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import psycopg

from bot.crypto import generate_key
from bot.localapi.client import LocalUser
from bot.localapi.server import LocalBotApiServer
from bot.localapi.world import LocalTelegram
from bot.runner import serving
from bot.settings import ROOT, load_settings

sys.path.insert(0, str(ROOT))  # the fake NLU lives with the tests
from tests.fake_nlu import TOKEN as NLU_TOKEN
from tests.fake_nlu import FakeNlu

PG_ADMIN = os.environ.get("OPORA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TOKEN = "123456:bench"


async def _timed(world: LocalTelegram, ledger: Any, payload_of: Any, count: int) -> list[float]:
    """Handling time of each update (the ledger times process_update), one after another."""
    before = len(ledger.durations)
    for n in range(count):
        update_id = payload_of(n)
        while update_id not in ledger.recent:  # noqa: ASYNC110 (the ledger has no event)
            await asyncio.sleep(0.0005)
    return [seconds * 1000 for seconds in ledger.durations[before : before + count]]


async def run(
    database_url: str, key: str, data: Path, count: int, tracking: bool
) -> dict[str, list[float]]:
    world = LocalTelegram(TOKEN)
    server = LocalBotApiServer(world)
    await server.start()
    nlu = FakeNlu()
    await nlu.start()
    nlu.script.default = [("hiv_testing", 0.95)]
    settings = load_settings(
        env={
            "OPORA_DATA_DIR": str(data),
            "OPORA_DATA_KEY": key,
            "OPORA_NLU__MANAGE": "external",
            "OPORA_TELEGRAM__POLL_TIMEOUT_SECONDS": "1",
            "OPORA_SAFETY__BURST": "1000000",
            # Telegram's 30 messages/s would pace every reply at ~33 ms and hide the handling.
            "OPORA_TELEGRAM__FLOOD_LIMITS": "false",
            "DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": server.base_url,
            "NLU_URL": nlu.url,
            "NLU_AUTH_TOKEN": NLU_TOKEN,
        }
    )
    try:
        async with serving(settings) as application:
            services = application.bot_data.services
            if not tracking:

                async def nothing(chat_id: int, message_id: int) -> None:
                    return None

                services.messages.record = nothing  # type: ignore[method-assign]
            user = 4002 if tracking else 4001  # a newcomer in each run
            person = LocalUser(world, user, "B", "en")
            await person.say("/start")
            await person.press("English")
            await person.press("Kazakhstan")
            await person.press("Understood")
            ledger = services.ledger

            def text(n: int) -> int:
                return int(world.user_sends(user, text=f"hiv test {n}")["update_id"])

            menu = person.last

            def press(n: int) -> int:
                return int(world.user_presses(user, menu.raw, "menu:health")["update_id"])

            return {
                "text": await _timed(world, ledger, text, count),
                "button": await _timed(world, ledger, press, count),
            }
    finally:
        await nlu.stop()
        await server.stop()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("sqlite", f"sqlite:///{tmp}/bench.sqlite3")]
        name = f"opora_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        targets.append(("postgresql", f"{base}/{name}"))
        try:
            header = f"{'database':<11} {'update':<7} {'notes':<5} {'p50 ms':>7} {'p95 ms':>7}"
            print(header + "  ratio p50")
            for label, url in targets:
                results = {}
                key = generate_key()  # one database, one key, both runs
                for tracking in (False, True):
                    data = Path(tmp) / f"{label}-{tracking}"
                    data.mkdir()
                    results[tracking] = await run(url, key, data, args.updates, tracking)
                for kind in ("text", "button"):
                    off = statistics.median(results[False][kind])
                    for tracking in (False, True):
                        values = results[tracking][kind]
                        p50 = statistics.median(values)
                        print(
                            f"{label:<11} {kind:<7} {'on' if tracking else 'off':<5} "
                            f"{p50:7.1f} {_pct(values, 0.95):7.1f}  {p50 / off:5.2f}"
                        )
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
