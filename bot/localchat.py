"""The local chat: talk to the real bot in a terminal, without a Telegram account.

A local Bot API server (bot.localapi) plays Telegram; the bot runs exactly as in production,
polling that server. Buttons are shown as numbers, a location is sent with /loc, and /staff shows
what the paralegal group would see.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.localapi.client import LocalUser, Shown, settle
from bot.localapi.server import LocalBotApiServer
from bot.localapi.world import LocalTelegram
from bot.nlu import NluClient
from bot.nlu_service import embedded_nlu
from bot.runner import serving
from bot.settings import Settings

__all__ = ["LOCAL_TOKEN", "run_local_chat"]

LOCAL_TOKEN = "1000:local-chat-token"  # noqa: S105 (accepted only by the local server)
USER_ID = 424242
LOCAL_WORKSPACE = -1001  # the paralegals' supergroup of the local chat
PARALEGAL_ID = 515151

HELP = """\
You are chatting with the real Opora handlers through a local Bot API server.
  type a message        it goes to the bot as your message
  a number (1, 2, …)    presses that button of the last buttons shown
  /loc LAT LON          shares a location, e.g. /loc 43.2389 76.8897
  /staff                shows what the paralegal group would see
  /take, /reply TEXT    act as a paralegal on the newest case
  /photo, /sticker      sends a photo or a sticker, to see how the bot copes
  /quit                 ends the chat (Ctrl+D works too)
Any other /command goes to the bot (/start, /menu, /help, /language, /privacy, /wipe, /forget)."""


class Terminal:
    """Renders bot messages and reads the person's input."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.choices: list[tuple[Shown, int]] = []

    def write(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def show(self, messages: list[Shown]) -> None:
        if not messages:
            self.write("  (no reply)")
            return
        self.choices = []
        for shown in messages:
            marker = "bot (edited)" if shown.edited else "bot"
            self.write(f"\n{marker}> " + shown.text.replace("\n", "\n     "))
            self._buttons(shown)

    def _buttons(self, shown: Shown) -> None:
        for index, button in enumerate(shown.buttons):
            number = len(self.choices) + 1
            self.choices.append((shown, index))
            hint = (
                "  (sends your location: you will be asked for it)"
                if button.request_location
                else ""
            )
            kind = "" if button.inline else " [keyboard]"
            self.write(f"   [{number}] {button.label}{kind}{hint}")


async def _read_line(prompt: str, out: TextIO) -> str | None:
    out.write(prompt)
    out.flush()
    line = await asyncio.to_thread(sys.stdin.readline)
    return None if line == "" else line.rstrip("\n")


async def _press(number: int, term: Terminal, user: LocalUser) -> list[Shown] | None:
    if not 1 <= number <= len(term.choices):
        term.write(f"  There is no button {number}.")
        return None
    shown, index = term.choices[number - 1]
    button = shown.buttons[index]
    if button.request_location:
        coords = await _read_line("  latitude longitude (e.g. 43.2389 76.8897): ", term.out)
        try:
            lat, lon = (float(part) for part in (coords or "").split())
        except ValueError:
            term.write("  Not a location; nothing sent.")
            return None
        return await user.share_location(lat, lon)
    return await user.press_button(shown, button)


def _staff_view(world: LocalTelegram, term: Terminal) -> None:
    groups = [chat_id for chat_id, chat in world.chats.items() if chat["type"] != "private"]
    shown = [m for chat_id in groups for m in world.bot_messages(chat_id)]
    if not shown:
        term.write("  The paralegal group has received nothing.")
        return
    for message in shown:
        thread = message.get("message_thread_id")
        where = f"topic {thread}" if thread else "group"
        term.write(f"  [{where}] {message.get('text') or message.get('caption') or '(media)'}")


def _as_paralegal(world: LocalTelegram, term: Terminal, command: str) -> None:
    """/take and /reply TEXT: act as a paralegal in the newest case topic."""
    cards = [
        m
        for m in world.bot_messages(LOCAL_WORKSPACE)
        if any(
            (b.get("callback_data") or "").startswith("desk:")
            for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
        )
    ]
    if not cards:
        term.write("  No case yet: report something first (menu: Report a violation).")
        return
    card = cards[-1]
    code = (card.get("text") or "").split()[1] if card.get("text") else ""
    if command == "/take":
        world.user_presses(PARALEGAL_ID, card, f"desk:take:{code}")
        term.write(f"  (You took case {code} as a paralegal.)")
        return
    text = command.removeprefix("/reply ").strip()
    world.user_sends(
        PARALEGAL_ID, LOCAL_WORKSPACE, text=text, message_thread_id=card["message_thread_id"]
    )


async def _watch_nlu(settings: Settings, term: Terminal) -> None:
    client = NluClient(settings.nlu.urls, 2.0, settings.nlu_auth_token)
    await client.open()
    try:
        for _ in range(int(settings.nlu.startup_wait_seconds)):
            if await client.ready():
                term.write("\n  (The NLU service is ready: free text is understood now.)")
                return
            await asyncio.sleep(1)
        embedded = settings.nlu.manage == "embedded"
        where = "see data/nlu.log" if embedded else ", ".join(settings.nlu.urls)
        term.write(f"\n  (The NLU service is not answering ({where}); menus still work.)")
    finally:
        await client.close()


async def _one_turn(line: str, term: Terminal, user: LocalUser, world: LocalTelegram) -> bool:
    """Act on one line of input; False when the person wants to stop."""
    command = line.strip()
    if command in ("/quit", "/exit"):
        return False
    if command == "/staff":
        _staff_view(world, term)
        return True
    if command == "/take" or command.startswith("/reply "):
        _as_paralegal(world, term, command)
        await settle(world, timeout=0.5)
        if command.startswith("/reply"):
            term.show(user.messages()[-1:])
        return True
    if command == "/?":
        term.write(HELP)
        return True
    if command.isdigit():
        shown = await _press(int(command), term, user)
    elif command.startswith("/loc"):
        try:
            lat, lon = (float(part) for part in command.split()[1:3])
        except ValueError:
            term.write("  Use: /loc LATITUDE LONGITUDE")
            return True
        shown = await user.share_location(lat, lon)
    elif command == "/photo":
        photo = [{"file_id": "local-photo", "file_unique_id": "p1", "width": 90, "height": 90}]
        shown = await user.send(photo=photo)
    elif command == "/sticker":
        sticker = {
            "file_id": "local-sticker",
            "file_unique_id": "s1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        shown = await user.send(sticker=sticker)
    elif command:
        shown = await user.say(line)
    else:
        return True
    if shown is not None:
        term.show(shown)
    return True


async def run_local_chat(
    settings: Settings, language_code: str = "en", out: TextIO = sys.stdout
) -> None:
    """Start the local Bot API server and the bot, then chat until /quit or end of input."""
    term = Terminal(out)
    world = LocalTelegram(LOCAL_TOKEN)
    server = LocalBotApiServer(world)
    await server.start()
    groups = settings.paralegals.groups or {"default": LOCAL_WORKSPACE}
    local = settings.model_copy(
        update={
            "bot_token": LOCAL_TOKEN,
            "telegram": settings.telegram.model_copy(
                update={"base_url": server.base_url, "poll_timeout_seconds": 5}
            ),
            "paralegals": settings.paralegals.model_copy(update={"groups": groups}),
        }
    )
    world.add_group(LOCAL_WORKSPACE, "Paralegals (local)")
    world.add_user(PARALEGAL_ID, "Paralegal (local)")
    term.write("Opora: LOCAL CHAT mode (no TELEGRAM_BOT_TOKEN is set).")
    term.write(f"The real bot talks to a local Bot API server at {server.base_url}.")
    term.write("Type /? for help, /quit to leave. Starting…")
    try:
        async with embedded_nlu(local) as local, serving(local):
            watcher = asyncio.create_task(_watch_nlu(local, term))
            user = LocalUser(world, USER_ID, "You", language_code)
            await settle(world, timeout=0.5)
            term.show(await user.say("/start"))
            while True:
                line = await _read_line("\nyou> ", out)
                if line is None or not await _one_turn(line, term, user, world):
                    break
            watcher.cancel()
    finally:
        await server.stop()
    term.write("\nBye. (Local chat data stays in the data/ directory; /forget erases it.)")
