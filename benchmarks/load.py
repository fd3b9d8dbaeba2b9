"""Load: simulated people talking to the bot in webhook mode, on PostgreSQL, with the real NLU.

Run: .venv/bin/python benchmarks/load.py [--people 1000] [--seconds 20] [--rate 30]
     (needs `make setup train` and PostgreSQL at 127.0.0.1:5432; takes about 3 minutes)

Three processes, as in production: the bot (`python -m bot run --webhook`, its own process),
the Rasa NLU service (`rasa run`, or --nlu-url for one already running), and this one, which
plays Telegram: the local Bot API server posting updates to the bot's webhook, and the people.
Telegram's flood limits are off in the bot (the local server has none; real Telegram caps a bot
at about 30 messages a second).

Phases:
1. onboarding: every person sends /start and chooses language, country and "Understood";
2. free text, closed loop: `--concurrency` people at a time ask questions in their language
   (held-out examples from nlu/tests), each waiting for the bot to finish before the next;
3. buttons, closed loop: menu and topic buttons, the same way;
4. mixed at `--rate` updates/s, open loop: free text, menu presses, service searches (shared
   location) and whole consultation requests, in the proportions of --mix.

Per phase: updates/s, and milliseconds from the update's post to the bot's first reply in the
chat (p50/p95/p99) and to its 200 answer; errors (non-2xx answers, updates never answered);
CPU seconds and peak memory of each process. At the end: cases stored vs requests completed.
Compare ratios within one run, not absolute numbers across runs: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import yaml

from bot.crypto import generate_key
from bot.localapi.delivery import Delivery
from bot.localapi.server import LocalBotApiServer
from bot.localapi.world import JSON, LocalTelegram
from bot.nlu_service import MODEL, RASA, start_rasa
from bot.settings import ROOT

PG_ADMIN = os.environ.get("OPORA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TOKEN = "123456:load"
LANGUAGES = ("en", "ru", "uk", "kk", "ky", "tg", "sr", "ro")
COUNTRIES = ("KZ", "KG", "TJ", "UA", "RS", "ME", "MD")
# Menu and topic buttons (each edits or sends a message; none starts a flow).
BUTTONS = (
    "menu:health",
    "topic:hiv_testing",
    "menu:ost",
    "topic:ost_info",
    "menu:rights",
    "topic:rights_police",
    "menu:main",
    "menu:privacy",
)
# Places with services in the demo directory (Almaty, Chisinau, Kyiv).
PLACES = ((43.238, 76.945), (47.0105, 28.8638), (50.4501, 30.5234))
# Entity markup in the training format: "[Almaty](city)" -> "Almaty".
ENTITY = re.compile(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})")
CODE = re.compile(r"\b[2-9A-HJ-NP-Z]{3}-[2-9A-HJ-NP-Z]{3}\b")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def questions() -> dict[str, list[str]]:
    """Held-out examples per language (never trained on), as people would write them."""
    found: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        data = yaml.safe_load((ROOT / "nlu" / "tests" / f"{lang}.yml").read_text("utf-8"))
        found[lang] = [
            ENTITY.sub(r"\1", line.strip()[2:])
            for item in data["nlu"]
            if "intent" in item
            for line in item["examples"].splitlines()
            if line.strip().startswith("- ")
        ]
    return found


# ---------------------------------------------------------------------------- processes
class Process:
    """CPU seconds and memory of a process (and its children, for Rasa's worker)."""

    def __init__(self, name: str, pid: int, children: bool = True) -> None:
        self.name, self.pid, self.children = name, pid, children
        self.peak_rss = 0

    def _pids(self) -> list[int]:
        pids = [self.pid]
        if not self.children:
            return pids
        for path in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = path.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:
                pids.append(int(path.parent.name))
        return pids

    def cpu_seconds(self) -> float:
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        for pid in self._pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def rss(self) -> int:
        total = 0
        for pid in self._pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                continue
        self.peak_rss = max(self.peak_rss, total)
        return total


async def sample_memory(processes: list[Process], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for process in processes:
            process.rss()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


# ---------------------------------------------------------------------------- people
@dataclass
class Person:
    user_id: int
    lang: str
    country: str
    plan: list[tuple[str, Any]] = field(default_factory=list)


@dataclass
class Phase:
    name: str
    deliveries: list[Delivery] = field(default_factory=list)
    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    late: int = 0
    kinds: dict[int, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        done = [d for d in self.deliveries if d.done_at is not None]
        replied = [d for d in done if d.first_reply is not None]
        to_reply = sorted((d.first_reply - d.first_post) * 1000 for d in replied)  # type: ignore[operator]
        to_done = sorted((d.done_at - d.first_post) * 1000 for d in done)  # type: ignore[operator]

        def pct(values: list[float], q: float) -> float:
            return round(values[min(len(values) - 1, int(q * len(values)))], 1) if values else 0.0

        return {
            "phase": self.name,
            "updates": len(self.deliveries),
            "seconds": round(self.seconds, 1),
            "updates_per_s": round(len(done) / self.seconds, 1) if self.seconds else 0,
            "reply_ms": {
                q: pct(to_reply, p) for q, p in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
            },
            "done_ms": {
                q: pct(to_done, p) for q, p in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
            },
            "no_reply": len(done) - len(replied),
            "not_2xx_posts": sum(
                1
                for d in self.deliveries
                for a in d.attempts
                if not (isinstance(a, int) and a < 300)
            ),
            "never_answered": len(self.deliveries) - len(done),
            "late_starts": self.late,
            "reply_ms_by_kind": self._by_kind(replied),
            "cpu_s": {name: round(value, 1) for name, value in self.cpu.items()},
        }

    def _by_kind(self, replied: list[Delivery]) -> dict[str, dict[str, float]]:
        found: dict[str, list[float]] = {}
        for d in replied:
            kind = self.kinds.get(d.update_id, "?")
            found.setdefault(kind, []).append((d.first_reply - d.first_post) * 1000)  # type: ignore[operator]
        result = {}
        for kind, values in found.items():
            values.sort()
            result[kind] = {
                "n": len(values),
                "p50": round(values[len(values) // 2], 1),
                "p95": round(values[min(len(values) - 1, int(0.95 * len(values)))], 1),
            }
        return result


class Crowd:
    def __init__(self, world: LocalTelegram, count: int, seed: int) -> None:
        self.world = world
        self.random = random.Random(seed)
        self.questions = questions()
        self.people = [
            Person(7_000_000 + n, LANGUAGES[n % len(LANGUAGES)], COUNTRIES[n % len(COUNTRIES)])
            for n in range(count)
        ]
        for person in self.people:
            world.add_user(person.user_id, f"P{person.user_id}", person.lang)
        self.codes: set[str] = set()
        self.consultations_sent = 0

    def latest(self, person: Person) -> JSON:
        """The newest bot message with inline buttons (the one a person would press on)."""
        messages = self.world.bot_messages(person.user_id)
        for message in reversed(messages):
            if "inline_keyboard" in (message.get("reply_markup") or {}):
                return message
        if not messages:
            raise LookupError("the bot has not written to this person")
        return messages[-1]

    def send(self, person: Person, kind: str, value: Any) -> int:
        """One update from this person; its update id."""
        world = self.world
        if kind == "text":
            update = world.user_sends(person.user_id, text=value)
        elif kind == "press":
            update = world.user_presses(person.user_id, self.latest(person), value)
        elif kind == "location":
            update = world.user_sends(
                person.user_id, location={"latitude": value[0], "longitude": value[1]}
            )
        else:
            raise ValueError(kind)
        return int(update["update_id"])

    def question(self, person: Person) -> str:
        return self.random.choice(self.questions[person.lang])

    def steps(self, person: Person, action: str) -> list[tuple[str, Any]]:
        if action == "text":
            return [("text", self.question(person))]
        if action == "button":
            return [("press", self.random.choice(BUTTONS))]
        if action == "search":
            return [
                ("press", "menu:services"),
                ("press", "findtype:hiv_testing"),
                ("location", self.random.choice(PLACES)),
            ]
        if action == "consult":
            return [
                ("press", "menu:human"),
                ("press", "rep:agree:consultation"),
                ("text", "I would like to talk to someone about my treatment"),
                ("press", "rep:done"),
                ("press", "rep:one:none"),
                ("press", "rep:one:no"),
                ("press", "rep:submit"),
            ]
        raise ValueError(action)


async def one(crowd: Crowd, person: Person, kind: str, value: Any, phase: Phase) -> None:
    update_id = crowd.send(person, kind, value)
    phase.kinds[update_id] = kind
    delivery = await crowd.world.delivery.delivered(update_id, timeout=120)
    phase.deliveries.append(delivery)
    if value == "rep:submit":
        crowd.consultations_sent += 1
        text = crowd.world.bot_messages(person.user_id)[-1].get("text") or ""
        crowd.codes.update(CODE.findall(text))


async def closed_loop(
    crowd: Crowd,
    phase: Phase,
    concurrency: int,
    seconds: float,
    next_step: Callable[[Person], tuple[str, Any]],
) -> None:
    """`concurrency` people at a time, each step after the previous one finished."""
    queue: asyncio.Queue[Person] = asyncio.Queue()
    for person in crowd.people:
        queue.put_nowait(person)
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        while time.monotonic() < deadline:
            person = await queue.get()
            kind, value = next_step(person)
            await one(crowd, person, kind, value, phase)
            queue.put_nowait(person)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def open_loop(
    crowd: Crowd, phase: Phase, rate: float, seconds: float, mix: dict[str, float]
) -> None:
    """Updates at a fixed rate. A person in the middle of a flow (a search, a request) takes
    the next tick, as people do; otherwise the next free person starts a new action. After
    `seconds`, ticks go on at the same rate until every started flow is finished."""
    idle: asyncio.Queue[Person] = asyncio.Queue()
    going_on: asyncio.Queue[Person] = asyncio.Queue()
    for person in crowd.people:
        idle.put_nowait(person)
    actions, weights = zip(*mix.items(), strict=True)
    tasks: set[asyncio.Task[None]] = set()

    async def step(person: Person) -> None:
        if not person.plan:
            person.plan = crowd.steps(person, crowd.random.choices(actions, weights)[0])
        kind, value = person.plan.pop(0)
        await one(crowd, person, kind, value, phase)
        (going_on if person.plan else idle).put_nowait(person)

    start = time.monotonic()
    ticks = int(rate * seconds)
    n = 0
    while n < ticks or tasks or not going_on.empty():
        due = start + n / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.05:
            phase.late += 1
        n += 1
        if not going_on.empty():
            person = going_on.get_nowait()
        elif n <= ticks and not idle.empty():
            person = idle.get_nowait()
        else:
            continue  # past the end: only flows already started go on
        task = asyncio.create_task(step(person))
        tasks.add(task)
        task.add_done_callback(tasks.discard)


async def measured(phase: Phase, processes: list[Process], body: Awaitable[None]) -> Phase:
    before = {p.name: p.cpu_seconds() for p in processes}
    started = time.monotonic()
    await body
    phase.seconds = time.monotonic() - started
    phase.cpu = {p.name: p.cpu_seconds() - before[p.name] for p in processes}
    return phase


# ---------------------------------------------------------------------------- setup
def wait_http(
    url: str, params: dict[str, str], seconds: float, check: Callable[[httpx.Response], bool]
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check(httpx.get(url, params=params, timeout=2)):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not become ready in {seconds:.0f} s")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20, help="length of each timed phase")
    parser.add_argument("--rate", type=float, default=30, help="updates/s of the mixed phase")
    parser.add_argument("--concurrency", type=int, default=32, help="closed-loop people at once")
    parser.add_argument("--nlu-url", help="an NLU service already running (else one is started)")
    parser.add_argument(
        "--fake-nlu",
        action="store_true",
        help="a scripted NLU in this process instead of Rasa: what the bot alone can carry",
    )
    parser.add_argument("--nlu-token", default="", help="its NLU_AUTH_TOKEN")
    parser.add_argument("--mix", default="text=0.5,button=0.3,search=0.1,consult=0.1")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--profile-bot", type=Path, help="run the bot under cProfile, stats here")
    args = parser.parse_args()
    mix = {k: float(v) for k, v in (part.split("=") for part in args.mix.split(","))}

    work = Path(tempfile.mkdtemp(prefix="opora-load-"))
    world = LocalTelegram(TOKEN)
    telegram = LocalBotApiServer(world)
    await telegram.start()

    processes: list[Process] = [Process("driver+telegram", os.getpid(), children=False)]
    rasa = None
    fake = None
    nlu_url, nlu_token = args.nlu_url, args.nlu_token
    if args.fake_nlu:
        sys.path.insert(0, str(ROOT))  # the fake NLU lives with the tests
        from tests.fake_nlu import TOKEN as FAKE_TOKEN
        from tests.fake_nlu import FakeNlu

        fake = FakeNlu()
        await fake.start()
        fake.script.default = [("hiv_testing", 0.95)]
        nlu_url, nlu_token = fake.url, FAKE_TOKEN
    elif not nlu_url:
        if not RASA.exists() or not MODEL.exists():
            raise SystemExit("The NLU model is not trained: run `make setup train` first.")
        nlu_url, nlu_token = f"http://127.0.0.1:{free_port()}", secrets.token_urlsafe(16)
        rasa = start_rasa(nlu_url, nlu_token, work / "rasa.log")
        print(f"Starting Rasa at {nlu_url} (about 20 s)…", flush=True)
        await asyncio.to_thread(
            wait_http,
            f"{nlu_url}/status",
            {"token": nlu_token},
            240,
            lambda r: r.status_code == 200 and bool(r.json().get("model_file")),
        )
        processes.append(Process("nlu (rasa)", rasa.pid))

    database = f"opora_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    database_url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    database_url += f"/{database}"

    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OPORA_", "TELEGRAM_"))},
        "OPORA_DATA_DIR": str(work / "data"),
        "OPORA_DATA_KEY": generate_key(),
        "OPORA_NLU__MANAGE": "external",
        "OPORA_TELEGRAM__FLOOD_LIMITS": "false",
        "OPORA_TELEGRAM__WEBHOOK__PORT": str(port),
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": telegram.base_url,
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(24),
        "NLU_URL": nlu_url,
        "NLU_AUTH_TOKEN": nlu_token,
    }
    bot_log = (work / "bot.log").open("wb")
    profile = ["-m", "cProfile", "-o", str(args.profile_bot)] if args.profile_bot else []
    bot = subprocess.Popen(  # noqa: ASYNC220 (started once, before the clock runs)
        [sys.executable, *profile, "-m", "bot", "run", "--webhook"],
        cwd=ROOT,
        env=env,
        stdout=bot_log,
        stderr=subprocess.STDOUT,
    )
    processes.insert(0, Process("bot", bot.pid))
    stop_sampling = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(processes, stop_sampling))
    phases: list[Phase] = []
    try:
        for _ in range(600):
            if world.webhook_url:
                break
            if bot.poll() is not None:
                raise SystemExit(f"the bot exited; see {work / 'bot.log'}")
            await asyncio.sleep(0.1)
        idle_rss = processes[0].rss()
        crowd = Crowd(world, args.people, seed=7)
        print(f"{args.people} people; bot idle at {idle_rss / 2**20:.0f} MB", flush=True)

        onboarding = Phase("onboarding (commands + buttons)")

        async def onboard_everyone() -> None:
            queue: asyncio.Queue[Person] = asyncio.Queue()
            for person in crowd.people:
                queue.put_nowait(person)

            async def worker() -> None:
                while not queue.empty():
                    person = queue.get_nowait()
                    await one(crowd, person, "text", "/start", onboarding)
                    await one(crowd, person, "press", f"lang:{person.lang}", onboarding)
                    await one(crowd, person, "press", f"country:{person.country}", onboarding)
                    await one(crowd, person, "press", "privacy:ok", onboarding)

            await asyncio.gather(*(worker() for _ in range(args.concurrency)))

        phases.append(await measured(onboarding, processes, onboard_everyone()))
        print(json.dumps(onboarding.summary()), flush=True)

        text_phase = Phase(f"free text, {args.concurrency} at a time")
        phases.append(
            await measured(
                text_phase,
                processes,
                closed_loop(
                    crowd,
                    text_phase,
                    args.concurrency,
                    args.seconds,
                    lambda p: ("text", crowd.question(p)),
                ),
            )
        )
        print(json.dumps(text_phase.summary()), flush=True)

        button_phase = Phase(f"buttons, {args.concurrency} at a time")
        phases.append(
            await measured(
                button_phase,
                processes,
                closed_loop(
                    crowd,
                    button_phase,
                    args.concurrency,
                    args.seconds,
                    lambda p: ("press", crowd.random.choice(BUTTONS)),
                ),
            )
        )
        print(json.dumps(button_phase.summary()), flush=True)

        for person in crowd.people:
            person.plan = []
        mixed = Phase(f"mixed at {args.rate:g}/s ({args.mix})")
        phases.append(
            await measured(mixed, processes, open_loop(crowd, mixed, args.rate, args.seconds, mix))
        )
        print(json.dumps(mixed.summary()), flush=True)
        await asyncio.sleep(1.5)  # the bot's own periodic state write
    finally:
        stop_sampling.set()
        await sampler
        bot.send_signal(signal.SIGTERM)
        try:
            # In a thread: the local Telegram in this loop answers the bot's last requests.
            await asyncio.to_thread(bot.wait, 30)
        except subprocess.TimeoutExpired:
            bot.kill()
        if rasa is not None:
            os.killpg(rasa.pid, signal.SIGTERM)
            rasa.wait(30)
        if fake is not None:
            await fake.stop()
        await telegram.stop()

    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as connection:
        stored = [str(row[0]) for row in connection.execute("SELECT code FROM cases")]
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    report = {
        "machine": f"{os.cpu_count()} CPUs, {os.uname().machine}",
        "nlu": "fake (scripted)" if args.fake_nlu else "Rasa",
        "people": args.people,
        "phases": [phase.summary() for phase in phases],
        "peak_rss_mb": {p.name: round(p.peak_rss / 2**20) for p in processes},
        "consultations": {
            "sent": crowd.consultations_sent,
            "codes_shown": len(crowd.codes),
            "cases_stored": len(stored),
            "duplicates": len(stored) - len(set(stored)),
            "lost": len(crowd.codes - set(stored)),
        },
        "bot_log_errors": sum(
            1
            for line in (work / "bot.log").read_text("utf-8", "replace").splitlines()
            if " ERROR " in line
        ),
        "log": str(work / "bot.log"),
    }
    print()
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")


def render(report: dict[str, Any]) -> str:
    lines = [
        f"{'phase':<44}{'updates':>8}{'per s':>8}{'reply p50':>10}{'p95':>7}{'p99':>7}"
        f"{'done p95':>9}{'errors':>7}  CPU s ({' / '.join(report['peak_rss_mb'])})",
    ]
    for phase in report["phases"]:
        reply, done = phase["reply_ms"], phase["done_ms"]
        cpu = " / ".join(f"{v:g}" for v in phase["cpu_s"].values())
        errors = phase["not_2xx_posts"] + phase["never_answered"]
        lines.append(
            f"{phase['phase']:<44}{phase['updates']:>8}{phase['updates_per_s']:>8}"
            f"{reply['p50']:>10}{reply['p95']:>7}{reply['p99']:>7}{done['p95']:>9}"
            f"{errors:>7}  {cpu}"
        )
    lines.append(f"peak memory (MB): {report['peak_rss_mb']}")
    lines.append(f"consultations: {report['consultations']}")
    lines.append(f"ERROR lines in the bot's log: {report['bot_log_errors']} ({report['log']})")
    return "\n".join(lines)


if __name__ == "__main__":
    asyncio.run(main())
