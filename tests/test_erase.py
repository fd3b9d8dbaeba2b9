"""Erase my data: afterwards nothing in the database leads back to the Telegram account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.cases import store
from bot.db import Base
from bot.localapi.client import LocalUser, settle
from bot.localapi.world import LocalTelegram
from tests.test_report import (  # noqa: F401  (the fixture is used by name)
    STORY,
    report_in_russian,
    settings,
    tap,
    workspace_messages,
)
from tests.test_safety import deleted_by_calls


async def everything_stored(running_bot: Any) -> str:
    """Every row of every table, decrypted, as one text to search in."""
    database = running_bot.bot_data.services.database
    parts = []
    async with database.session() as session:
        for table in Base.metadata.sorted_tables:
            for row in await session.execute(select(table)):
                parts.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(parts)


def traces(running_bot: Any, user_id: int) -> list[str]:
    """Everything that would tie a stored row to this Telegram account."""
    cipher = running_bot.bot_data.services.database.cipher
    keys = [cipher.subject("telegram-user", user_id)]
    # Conversation and user-data rows are keyed by their own hashes of the id.
    for kind, name in (
        ("user_data", ""),
        ("conversation", "onboarding"),
        ("conversation", "report"),
    ):
        for key in (user_id, (user_id, user_id), [user_id, user_id]):
            keys.append(cipher.subject(f"{kind}/{name}", key))
    return [str(user_id), *keys]


async def test_erase_with_withdraw_leaves_nothing_linked_to_the_person(
    person: LocalUser,
    telegram: LocalTelegram,
    running_bot: Any,
) -> None:
    code = await report_in_russian(person)
    await person.say("/leave")
    await person.say("/privacy")
    await person.press("Исчезающие сообщения")
    await tap(person, "safety:dis:600")
    stored = await everything_stored(running_bot)
    assert any(trace in stored for trace in traces(running_bot, person.user_id))
    in_chat = {m for (chat, m) in telegram.messages if chat == person.chat_id}

    await person.say("/forget")
    await tap(person, "forget:yes")
    shown = await tap(person, "forget:withdraw")

    assert "Готово" in shown[-1].text
    stored = await everything_stored(running_bot)
    found = [trace for trace in traces(running_bot, person.user_id) if trace in stored]
    assert found == [], found
    assert STORY not in stored
    case = await store.by_code(running_bot.bot_data.services.database, code)
    assert case.status == "withdrawn" and case.story is None and case.evidence == []
    assert case.violations  # the anonymous statistical row remains
    await settle(telegram)
    assert any(
        code in (m.get("text") or "") and m["text"].startswith("🗑")
        for m in workspace_messages(telegram)
    )
    # The chat itself: everything of the last 48 hours was deleted.
    assert in_chat <= deleted_by_calls(telegram, person.chat_id)


async def test_erase_keeping_the_case_leaves_it_with_the_paralegal_unlinked(
    person: LocalUser,
    telegram: LocalTelegram,
    running_bot: Any,
) -> None:
    code = await report_in_russian(person, evidence=False)
    await person.say("/leave")
    await person.say("/forget")
    shown = await tap(person, "forget:yes")
    assert code in shown[-1].text  # the question names the open case
    await tap(person, "forget:keep")
    await settle(telegram)
    stored = await everything_stored(running_bot)
    assert [t for t in traces(running_bot, person.user_id) if t in stored] == []
    case = await store.by_code(running_bot.bot_data.services.database, code)
    assert case.client_chat is None and case.story == STORY  # kept, but leads nowhere
    assert workspace_messages(telegram)[-1]["text"].startswith("🔒")
