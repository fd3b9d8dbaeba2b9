"""The local Bot API server speaks Telegram's protocol, errors included."""

from __future__ import annotations

import asyncio

import httpx

from bot.localapi.world import LocalTelegram
from tests.conftest import BOT_TOKEN


async def _call(
    world: LocalTelegram, method: str, token: str = BOT_TOKEN, **params: object
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=world.base_url) as client:
        return await client.post(f"/bot{token}/{method}", json=params)


async def test_get_me_and_a_rejected_token(telegram: LocalTelegram) -> None:
    ok = await _call(telegram, "getMe")
    assert ok.json()["result"]["is_bot"] is True
    rejected = await _call(telegram, "getMe", token="1:wrong")
    assert rejected.status_code == 401
    assert rejected.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_unknown_method_and_unknown_chat(telegram: LocalTelegram) -> None:
    assert (await _call(telegram, "sendTeleport")).status_code == 404
    missing = await _call(telegram, "sendMessage", chat_id=99, text="hi")
    assert missing.json()["description"] == "Bad Request: chat not found"


async def test_html_is_checked_like_telegram(telegram: LocalTelegram) -> None:
    telegram.add_user(5)
    bad = await _call(telegram, "sendMessage", chat_id=5, text="<div>x</div>", parse_mode="HTML")
    assert "can't parse entities" in bad.json()["description"]
    good = await _call(
        telegram, "sendMessage", chat_id=5, text="<b>a</b> &amp; b", parse_mode="HTML"
    )
    assert good.json()["result"]["text"] == "a & b"
    long = await _call(telegram, "sendMessage", chat_id=5, text="x" * 4097)
    assert long.json()["description"] == "Bad Request: message is too long"


async def test_long_poll_returns_an_update_as_soon_as_it_arrives(telegram: LocalTelegram) -> None:
    telegram.add_user(6)
    poll = asyncio.create_task(_call(telegram, "getUpdates", timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()
    telegram.user_sends(6, text="hello")
    updates = (await asyncio.wait_for(poll, 2)).json()["result"]
    assert updates[0]["message"]["text"] == "hello"
    # Confirmed by the next offset, it is not delivered again.
    again = await _call(telegram, "getUpdates", offset=updates[0]["update_id"] + 1)
    assert again.json()["result"] == []


async def test_forum_topics_and_copy_hide_the_sender(telegram: LocalTelegram) -> None:
    telegram.add_user(7, "Secret Name")
    telegram.add_group(-100, "Paralegals")
    message = telegram.user_sends(7, text="evidence")["message"]
    topic = (await _call(telegram, "createForumTopic", chat_id=-100, name="K7M-4QX")).json()[
        "result"
    ]
    copied = await _call(
        telegram,
        "copyMessage",
        chat_id=-100,
        from_chat_id=7,
        message_id=message["message_id"],
        message_thread_id=topic["message_thread_id"],
    )
    new = telegram.messages[(-100, copied.json()["result"]["message_id"])]
    assert new["text"] == "evidence"
    assert "Secret Name" not in repr(new)
    assert new["message_thread_id"] == topic["message_thread_id"]
