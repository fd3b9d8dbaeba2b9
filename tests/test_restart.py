"""A restart in the middle of a flow loses nothing."""

from __future__ import annotations

from bot.localapi.client import LocalUser
from bot.localapi.world import LocalTelegram
from bot.runner import serving
from bot.settings import Settings
from tests.conftest import database_dump


async def test_onboarding_continues_after_a_restart(
    settings: Settings, telegram: LocalTelegram
) -> None:
    person = LocalUser(telegram, 4242, "Олег", "ru")
    async with serving(settings):
        await person.say("/start")
    # A new process: nothing in memory survives, only the database. The conversation is still
    # waiting for a language, so choosing one leads on to the country (outside onboarding, the
    # same button would only switch the language and show the menu).
    async with serving(settings):
        shown = await person.press("Українська")
        assert "Молдова" in [button.label for button in shown[0].buttons]
    async with serving(settings):
        shown = await person.press("Молдова")
        assert "Ваша приватність" in shown[0].text
        shown = await person.press("👍")
        assert "Здоров’я та ВІЛ" in shown[0].buttons[0].label


async def test_conversation_state_is_written_while_running(
    settings: Settings, telegram: LocalTelegram
) -> None:
    """Without a clean shutdown (a crash), the state written so far is in the database."""
    person = LocalUser(telegram, 4343, "Ivan", "en")
    async with serving(settings) as application:
        await person.say("/start")
        await person.press("English")
        # Give the persistence its interval to write, as a crash could come at any time.
        await application.update_persistence()
        dump = database_dump(settings)
    assert "conversation" in dump
    assert b"country" not in dump.encode()  # the state itself is encrypted
