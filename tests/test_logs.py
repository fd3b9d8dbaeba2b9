"""No personal data in the logs: a whole session is logged, and none of what was sent is there."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.localapi.client import LocalUser, settle
from bot.localapi.world import LocalTelegram
from tests.fake_nlu import FakeNlu
from tests.test_report import (  # noqa: F401  (the fixture is used by name)
    WORKSPACE,
    settings,
    tap,
)

NAME = "Зарема"
USERNAME = "zarema_secret_handle"
QUESTION = "где сдать тест на вич рядом с рынком Зеленый"
STORY = "Участковый Петров забрал мой метадон у аптеки на Абылай хана"
TOWN = "Талдыкорган"
LATITUDE, LONGITUDE = 43.238949, 76.889709
USER_ID = 778899


async def test_a_full_session_leaves_no_personal_data_in_the_logs(
    running_bot: Any,
    telegram: LocalTelegram,
    nlu: FakeNlu,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # everything Opora logs, at its most talkative
    person = LocalUser(telegram, USER_ID, NAME, "ru")
    telegram.users[USER_ID]["username"] = USERNAME

    await person.say("/start")
    await tap(person, "lang:ru")
    await tap(person, "country:KZ")
    await tap(person, "privacy:ok")
    nlu.script.answers[QUESTION.lower()] = [("hiv_testing", 0.93)]
    await person.say(QUESTION)
    await person.press("Найти")
    await person.share_location(LATITUDE, LONGITUDE)
    nlu.script.down = True  # the NLU fails mid-session: that path logs too
    await person.say("меня задержали")
    nlu.script.down = False
    await tap(person, "alert:now")
    await person.say(STORY)
    await person.say(TOWN)
    await person.send(
        photo=[{"file_id": "secret-photo", "file_unique_id": "sp", "width": 1, "height": 1}]
    )
    telegram.user_sends(9001, WORKSPACE, text="Здравствуйте, Зарема", message_thread_id=100)
    await person.say("/wipe")
    await person.say("/forget")
    await tap(person, "forget:yes")
    await settle(telegram)

    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in caplog.records
    )
    # The log did record the session: update ids, kinds, outcomes, the handlers that ran.
    assert "(text) answered by safety._guard, people._identify, understand._free_text in" in logged
    assert "alert._alert" in logged and "safety._wipe" in logged
    for secret in (
        NAME,
        USERNAME,
        QUESTION,
        STORY,
        TOWN,
        "secret-photo",
        str(USER_ID),
        f"{LATITUDE:.3f}",
        f"{LONGITUDE:.3f}",
        "Петров",
        "метадон",
    ):
        assert secret not in logged, f"{secret!r} is in the log"
