"""Thousands of random updates through the local Bot API server: each one is answered or
deliberately ignored, no handler fails, and the bot still works afterwards.

Hypothesis draws batches of updates of every kind people and Telegram produce: texts with emoji,
zero-width and right-to-left characters up to 4,096 characters, commands, stickers, GIFs,
voice, video, contacts, polls, dice, locations (also impossible ones), photos, edits, forwards,
messages in groups, buttons with made-up or tampered data, and updates Opora never asked for.
The bot runs in its own thread and event loop, as it would in production.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.localapi.client import LocalUser
from bot.localapi.server import LocalBotApiServer
from bot.localapi.world import LocalTelegram
from bot.runner import serving
from tests.conftest import BOT_TOKEN
from tests.fake_nlu import TOKEN as NLU_TOKEN
from tests.fake_nlu import FakeNlu

USERS = (6001, 6002, 6003)
GROUP = -100444  # a group someone added the bot to: not a workspace
WORKSPACE = -100333
# Batches of 1-30 updates: about 3,000 updates in all (OPORA_FUZZ_EXAMPLES changes it).
EXAMPLES = int(os.environ.get("OPORA_FUZZ_EXAMPLES", "200"))
INVISIBLE = (
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)
WORDS = ["привет", "ВИЧ", "overdose", "метадон", "menya zaderzhali", "Алматы", "ПрЕП", "😀"]
PREFIXES = [
    "menu:",
    "topic:",
    "find:",
    "svc:",
    "rep:pick:",
    "rep:one:",
    "rep:agree:",
    "rep:edit:",
    "rep:submit",
    "desk:take:",
    "desk:st:",
    "mycase:leave:",
    "mycase:withdraw:",
    "mycase:sure:",
    "rate:",
    "forget:",
    "safety:dis:",
    "safety:wipe",
    "alert:now",
    "intent:",
    "lang:",
    "country:",
    "privacy:ok",
    "",
]


class BotThread:
    """The bot, the local Bot API server and the fake NLU in a thread of their own."""

    def __init__(self, make_settings: Any, data: Path) -> None:
        self._make_settings = make_settings
        self._data = data
        self.loop = asyncio.new_event_loop()
        self.world = LocalTelegram(BOT_TOKEN)
        self.application: Any = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            self.loop.run_until_complete(self._main())
        except BaseException as exc:  # reported to the test
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        server = LocalBotApiServer(self.world)
        await server.start()
        nlu = FakeNlu()
        await nlu.start()
        for user in USERS:
            self.world.add_user(user, "Fuzz", "ru")
        self.world.add_group(GROUP, "Friends", forum=False)
        self.world.add_group(WORKSPACE, "Paralegals")
        settings = self._make_settings(
            DATABASE_URL=f"sqlite:///{self._data}/fuzz.sqlite3",
            TELEGRAM_BOT_TOKEN=BOT_TOKEN,
            TELEGRAM_BASE_URL=server.base_url,
            NLU_URL=nlu.url,
            NLU_AUTH_TOKEN=NLU_TOKEN,
            OPORA_PARALEGALS__GROUPS=f'{{"default": {WORKSPACE}}}',
            # Floods have their own tests: here every update reaches its handler, at full speed
            # (the local server has no flood limits to respect).
            OPORA_SAFETY__BURST="1000000",
            OPORA_TELEGRAM__FLOOD_LIMITS="false",
        )
        self._stop = asyncio.Event()
        async with serving(settings) as application:
            self.application = application
            self._ready.set()
            await self._stop.wait()
        await nlu.stop()
        await server.stop()

    def __enter__(self) -> BotThread:
        self._thread.start()
        self._ready.wait(60)
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def run(self, coroutine: Any, timeout: float = 120) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)


@pytest.fixture(scope="module")
def bot_thread(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotThread]:
    from bot.crypto import generate_key
    from bot.settings import load_settings

    data = tmp_path_factory.mktemp("fuzz")

    def make_settings(**env: str) -> Any:
        base = {
            "OPORA_DATA_DIR": str(data),
            "OPORA_DATA_KEY": generate_key(),
            "OPORA_NLU__MANAGE": "external",
            "OPORA_PERSISTENCE_INTERVAL_SECONDS": "0.5",
            "OPORA_TELEGRAM__POLL_TIMEOUT_SECONDS": "1",
        }
        return load_settings(env={**base, **env})

    with BotThread(make_settings, data) as thread:
        yield thread


# ------------------------------------------------------------------------- what people send
texts = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.sampled_from(INVISIBLE + "😀🙏💊🚑 "), min_size=1, max_size=30),
    st.lists(st.sampled_from(WORDS + list(INVISIBLE)), min_size=1, max_size=12).map(" ".join),
    st.integers(4000, 4096).map(lambda n: ("ВИЧ " * 1100)[:n]),
    st.text(alphabet="אבגדهوز\u202e\u200f ", min_size=1, max_size=50),
    st.from_regex(r"/[a-z_]{1,12}( .{0,20})?", fullmatch=True),
)
media = st.sampled_from(
    [
        {
            "sticker": {
                "file_id": "s",
                "file_unique_id": "s",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            }
        },
        {
            "animation": {
                "file_id": "g",
                "file_unique_id": "g",
                "width": 1,
                "height": 1,
                "duration": 1,
            }
        },
        {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}},
        {
            "video": {
                "file_id": "vi",
                "file_unique_id": "vi",
                "width": 1,
                "height": 1,
                "duration": 1,
            }
        },
        {"video_note": {"file_id": "vn", "file_unique_id": "vn", "length": 1, "duration": 1}},
        {"audio": {"file_id": "a", "file_unique_id": "a", "duration": 1}},
        {"document": {"file_id": "d", "file_unique_id": "d"}},
        {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]},
        {"contact": {"phone_number": "+70000000000", "first_name": "X"}},
        {"dice": {"emoji": "🎲", "value": 3}},
        {
            "poll": {
                "id": "1",
                "question": "?",
                "options": [
                    {"text": "a", "voter_count": 0, "persistent_id": "0"},
                    {"text": "b", "voter_count": 0, "persistent_id": "1"},
                ],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
            }
        },
        {"new_chat_members": [{"id": 1, "is_bot": False, "first_name": "N"}]},
        {"pinned_message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}},
    ]
)
locations = st.builds(
    lambda lat, lon: {"location": {"latitude": lat, "longitude": lon}},
    st.floats(-90, 90, allow_nan=False),
    st.floats(-180, 180, allow_nan=False),
)
callback_data = st.builds(
    lambda prefix, tail: (prefix + tail).encode()[:64].decode("utf-8", "ignore") or "x",
    st.sampled_from(PREFIXES),
    st.one_of(st.text(max_size=20), st.from_regex(r"[A-Z2-9]{3}-[A-Z2-9]{3}", fullmatch=True)),
)
update_kinds = st.sampled_from(
    [
        "text",
        "text",
        "text",
        "media",
        "location",
        "callback",
        "callback",
        "edited",
        "forwarded",
        "group",
        "workspace",
        "odd",
    ]
)


class Builder:
    """Turns drawn pieces into update payloads the local Telegram delivers."""

    ids = itertools.count(10_000_000)

    def __init__(self, world: LocalTelegram) -> None:
        self.world = world

    def message(
        self, user: int, chat: int, content: dict[str, Any], **extra: Any
    ) -> dict[str, Any]:
        text = content.get("text")
        if isinstance(text, str) and text.startswith("/"):
            content = {
                **content,
                "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
            }
        return self.world._new_message(chat, self.world.users[user], **content, **extra)

    def build(self, kind: str, user: int, drawn: dict[str, Any]) -> dict[str, Any]:

        if kind == "text":
            return {"message": self.message(user, user, {"text": drawn["text"].strip() or "?"})}
        if kind == "media":
            return {"message": self.message(user, user, drawn["media"])}
        if kind == "location":
            return {"message": self.message(user, user, drawn["location"])}
        if kind == "callback":
            shown = self.world.bot_messages(user)
            message = (
                shown[-1]
                if shown and drawn["use_last"]
                else {
                    "message_id": 999_999,
                    "date": 0,
                    "chat": self.world.chats[user],
                }
            )
            query_id = str(next(self.ids))
            self.world.callback_answers[query_id] = {}
            return {
                "callback_query": {
                    "id": query_id,
                    "from": self.world.users[user],
                    "message": message,
                    "chat_instance": "fuzz",
                    "data": drawn["data"],
                }
            }
        if kind == "edited":
            message = self.message(user, user, {"text": drawn["text"].strip() or "?"})
            return {"edited_message": {**message, "edit_date": int(time.time())}}
        if kind == "forwarded":
            origin = {"type": "hidden_user", "sender_user_name": "Someone", "date": 0}
            return {
                "message": self.message(
                    user, user, {"text": drawn["text"].strip() or "?"}, forward_origin=origin
                )
            }
        if kind == "group":
            return {"message": self.message(user, GROUP, {"text": drawn["text"].strip() or "?"})}
        if kind == "workspace":
            thread = drawn["thread"]
            return {
                "message": self.message(
                    user,
                    WORKSPACE,
                    {"text": drawn["text"].strip() or "?"},
                    message_thread_id=thread,
                )
            }
        odd: dict[str, Any] = (
            [
                {
                    "channel_post": {
                        "message_id": 1,
                        "date": 0,
                        "chat": {"id": -1009, "type": "channel", "title": "c"},
                        "text": "x",
                    }
                },
                {
                    "poll_answer": {
                        "poll_id": "1",
                        "user": self.world.users[user],
                        "option_ids": [0],
                        "option_persistent_ids": ["0"],
                    }
                },
                {
                    "my_chat_member": {
                        "chat": self.world.chats[user],
                        "from": self.world.users[user],
                        "date": 0,
                        "old_chat_member": {"status": "member", "user": self.world.bot_user},
                        "new_chat_member": {
                            "status": "kicked",
                            "user": self.world.bot_user,
                            "until_date": 0,
                        },
                    }
                },
                {
                    "my_chat_member": {
                        "chat": self.world.chats[GROUP],
                        "from": self.world.users[user],
                        "date": 0,
                        "old_chat_member": {"status": "left", "user": self.world.bot_user},
                        "new_chat_member": {"status": "member", "user": self.world.bot_user},
                    }
                },
            ]
        )[drawn["odd"]]
        return odd


async def _deliver(thread: BotThread, payloads: list[dict[str, Any]]) -> list[tuple[int, str]]:
    world, ledger = thread.world, thread.application.bot_data.services.ledger
    ids = [world.push(payload)["update_id"] for payload in payloads]
    deadline = time.monotonic() + 60
    while not all(update_id in ledger.recent for update_id in ids):
        assert time.monotonic() < deadline, "updates were not all processed"
        await asyncio.sleep(0.002)
    return [(update_id, ledger.recent[update_id]) for update_id in ids]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
    # No shrinking: a failure is reported as found (shrinking re-runs hundreds of batches).
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(st.data())
def test_random_updates_are_answered_or_ignored_on_purpose(
    bot_thread: BotThread, data: Any
) -> None:
    builder = Builder(bot_thread.world)
    count = data.draw(st.integers(1, 30))
    payloads = []
    for _ in range(count):
        kind = data.draw(update_kinds)
        user = data.draw(st.sampled_from(USERS))
        # Hypothesis draws on this thread; the payload is made on the bot's loop.
        drawn = {name: data.draw(strategy) for name, strategy in DRAWS[kind]}
        payloads.append(bot_thread.run(_build(builder, kind, user, drawn)))
    outcomes = bot_thread.run(_deliver(bot_thread, payloads))
    silent = [
        (update_id, _describe(payloads[i]), _describe(payloads[i - 1]) if i else None)
        for i, (update_id, outcome) in enumerate(outcomes)
        if outcome == "unanswered"
    ]
    assert silent == []  # (update id, what it was, what came just before)
    assert bot_thread.application.bot_data.services.ledger.errors == {}


def _describe(payload: dict[str, Any]) -> str:
    """An update in a few words: its kind and the message's content fields."""
    kind = next(key for key in payload if key != "update_id")
    body = payload[kind]
    if kind == "callback_query":
        return f"callback {body['data']!r}"
    if isinstance(body, dict):
        fields = sorted(k for k in body if k not in ("message_id", "from", "chat", "date"))
        chat = body.get("chat", {}).get("type")
        return f"{kind} in {chat}: {fields} {str(body.get('text'))[:40]!r}"
    return kind


async def _build(builder: Builder, kind: str, user: int, drawn: dict[str, Any]) -> dict[str, Any]:
    return builder.build(kind, user, drawn)


# What each kind of update needs drawn (on the test thread: Hypothesis draws only there).
DRAWS: dict[str, list[tuple[str, Any]]] = {
    "text": [("text", texts)],
    "media": [("media", media)],
    "location": [("location", locations)],
    "callback": [("use_last", st.booleans()), ("data", callback_data)],
    "edited": [("text", texts)],
    "forwarded": [("text", texts)],
    "group": [("text", texts)],
    "workspace": [("text", texts), ("thread", st.sampled_from([None, 1, 100, 101]))],
    "odd": [("odd", st.integers(0, 3))],
}


def test_after_the_storm_the_bot_is_healthy(bot_thread: BotThread) -> None:
    """Runs after the fuzz test (same module): a newcomer is still welcomed, quickly."""
    ledger = bot_thread.application.bot_data.services.ledger
    handled = sum(ledger.outcomes.values())
    assert handled >= EXAMPLES  # the fuzz test really ran through here
    print(f"fuzz: {handled} updates, outcomes {dict(ledger.outcomes)}")

    async def newcomer() -> list[str]:
        person = LocalUser(bot_thread.world, 6999, "New", "en")
        shown = await person.say("/start")
        return [b.label for s in shown for b in s.buttons]

    started = time.monotonic()
    labels = bot_thread.run(newcomer())
    assert "✅ English" in labels
    assert time.monotonic() - started < 5
    assert ledger.errors == {}
