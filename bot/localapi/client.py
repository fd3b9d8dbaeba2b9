"""A person in the local Telegram: says things, presses buttons, reads what the bot showed.

Used by the local chat and by the end-to-end tests. Each action waits until the bot has reacted
(something changed, then a short quiet spell), and returns what is new or edited in the chat.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from bot.localapi.world import JSON, LocalTelegram

__all__ = ["Button", "LocalUser", "Shown"]

QUIET_SECONDS = 0.3


@dataclass(frozen=True)
class Button:
    """A button as the person sees it."""

    label: str
    callback_data: str | None = None
    request_location: bool = False
    inline: bool = True


@dataclass(frozen=True)
class Shown:
    """A bot message as the person sees it now."""

    message_id: int
    text: str
    buttons: tuple[Button, ...]
    edited: bool
    raw: JSON

    def button(self, label_part: str) -> Button:
        for button in self.buttons:
            if label_part.lower() in button.label.lower():
                return button
        labels = [button.label for button in self.buttons]
        raise LookupError(f"no button with {label_part!r} in {labels}")


def _buttons(message: JSON) -> tuple[Button, ...]:
    markup = message.get("reply_markup") or {}
    found = [
        Button(b["text"], callback_data=b.get("callback_data"))
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]
    found += [
        Button(
            b["text"] if isinstance(b, dict) else str(b),
            request_location=bool(isinstance(b, dict) and b.get("request_location")),
            inline=False,
        )
        for row in markup.get("keyboard", [])
        for b in row
    ]
    return tuple(found)


def _shown(message: JSON) -> Shown:
    text = message.get("text") or message.get("caption") or ""
    if "venue" in message:
        venue = message["venue"]
        text = f"📍 {venue.get('title')} — {venue.get('address')}"
    elif "location" in message:
        loc = message["location"]
        text = f"📍 {loc['latitude']:.5f}, {loc['longitude']:.5f}"
    return Shown(message["message_id"], text, _buttons(message), "edit_date" in message, message)


class LocalUser:
    """One person chatting with the bot in a private chat."""

    def __init__(
        self,
        world: LocalTelegram,
        user_id: int,
        first_name: str = "Test",
        language_code: str | None = "en",
    ) -> None:
        self.world = world
        self.user_id = user_id
        world.add_user(user_id, first_name, language_code)
        self._seen: dict[int, Any] = {}
        self.reply_keyboard: tuple[Button, ...] = ()

    @property
    def chat_id(self) -> int:
        return self.user_id

    def messages(self) -> list[Shown]:
        """Every bot message in the chat now, oldest first."""
        return [_shown(message) for message in self.world.bot_messages(self.chat_id)]

    @property
    def last(self) -> Shown:
        return self.messages()[-1]

    def last_with_buttons(self) -> Shown:
        for shown in reversed(self.messages()):
            if any(button.inline for button in shown.buttons):
                return shown
        raise LookupError("no message with buttons in the chat")

    async def _settle(self, timeout: float) -> list[Shown]:
        """Wait for the bot's reaction, then report what is new or changed."""
        if await self.world.wait_changed(timeout):
            while await self.world.wait_changed(QUIET_SECONDS):
                pass
        changed = []
        for shown in self.messages():
            state = (shown.text, shown.buttons)
            if self._seen.get(shown.message_id) != state:
                self._seen[shown.message_id] = state
                changed.append(shown)
                if any(not b.inline for b in shown.buttons):
                    self.reply_keyboard = shown.buttons
                elif (shown.raw.get("reply_markup") or {}).get("remove_keyboard"):
                    self.reply_keyboard = ()
        return changed

    async def say(self, text: str, timeout: float = 10) -> list[Shown]:
        self.world.user_sends(self.user_id, text=text)
        return await self._settle(timeout)

    async def send(self, timeout: float = 10, **content: Any) -> list[Shown]:
        """Send any other kind of message (location=…, sticker=…, voice=…)."""
        self.world.user_sends(self.user_id, **content)
        return await self._settle(timeout)

    async def share_location(
        self, latitude: float, longitude: float, timeout: float = 10
    ) -> list[Shown]:
        return await self.send(timeout, location={"latitude": latitude, "longitude": longitude})

    async def press(
        self, label_part: str, on: Shown | None = None, timeout: float = 10
    ) -> list[Shown]:
        """Press the inline button whose label contains `label_part` (newest message first)."""
        candidates = [on] if on else list(reversed(self.messages()))
        for shown in candidates:
            for button in shown.buttons:
                if button.inline and label_part.lower() in button.label.lower():
                    return await self.press_button(shown, button, timeout)
        raise LookupError(f"no inline button with {label_part!r}")

    async def press_button(self, shown: Shown, button: Button, timeout: float = 10) -> list[Shown]:
        if button.inline:
            assert button.callback_data is not None
            started = time.monotonic()
            self.world.user_presses(self.user_id, shown.raw, button.callback_data)
            return await self._settle(max(0.5, timeout - (time.monotonic() - started)))
        if button.request_location:
            raise ValueError("this button asks for a location: use share_location()")
        return await self.say(button.label, timeout)

    def answered_callbacks(self) -> list[JSON]:
        return [answer for answer in self.world.callback_answers.values() if answer]


async def settle(world: LocalTelegram, timeout: float = 5) -> None:
    """Wait until the bot has been quiet for a moment."""
    if await world.wait_changed(timeout):
        while await world.wait_changed(QUIET_SECONDS):
            pass
    await asyncio.sleep(0)
