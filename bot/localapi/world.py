"""An in-memory Telegram: people, chats, messages and updates, and the Bot API methods on them.

The HTTP layer (bot.localapi.server) turns requests into calls of `LocalTelegram.call`; tests and
the local chat act as the people (bot.localapi.client). Errors follow the real Bot API's codes
and descriptions closely enough that the bot's own error handling is exercised.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from bot.localapi.delivery import Delivery, WebhookDelivery

__all__ = ["ApiError", "Call", "LocalTelegram"]

JSON = dict[str, Any]
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
# Tags Telegram accepts with parse_mode=HTML.
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}


# Methods that show something in a chat (for the reply time of webhook deliveries).
SHOWING = frozenset(
    {
        "sendmessage",
        "editmessagetext",
        "editmessagereplymarkup",
        "sendlocation",
        "sendvenue",
        "sendphoto",
        "copymessage",
    }
)


class ApiError(Exception):
    """A Bot API error answer: HTTP status and description, as Telegram words them."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


@dataclass
class Fault:
    """A failure to play on the next calls of one method (tests of retries and time-outs)."""

    method: str
    code: int
    description: str
    retry_after: int | None = None
    delay: float = 0.0
    times: int = 1


@dataclass
class Call:
    """One Bot API request the bot made."""

    method: str
    params: JSON
    at: float = field(default_factory=time.monotonic)


class _TelegramHTML(HTMLParser):
    """Checks markup as Telegram does and keeps the plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise ApiError(
                400, f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"'
            )
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            raise ApiError(400, f'Bad Request: can\'t parse entities: Unexpected end tag "{tag}"')
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def plain_text(text: str, parse_mode: str | None) -> str:
    """The text a person sees; raises like Telegram on markup it would reject."""
    if (parse_mode or "").upper() != "HTML":
        return text
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    if parser.open:
        raise ApiError(400, "Bad Request: can't parse entities: unclosed tag")
    return "".join(parser.text)


class LocalTelegram:
    """The state of a small Telegram world with one bot in it."""

    def __init__(self, token: str, bot_username: str = "opora_local_bot") -> None:
        self.token = token
        # Set by the server that serves this world.
        self.base_url = ""
        self.bot_user: JSON = {
            "id": int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1000,
            "is_bot": True,
            "first_name": "Opora",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.users: dict[int, JSON] = {}
        self.chats: dict[int, JSON] = {}
        # (chat id, message id) -> message, in the order they were made.
        self.messages: dict[tuple[int, int], JSON] = {}
        self.deleted: set[tuple[int, int]] = set()
        # chat id -> its message ids, in order (to list one chat without reading them all).
        self._chat_messages: dict[int, list[int]] = {}
        self.callback_answers: dict[str, JSON] = {}
        # file id -> bytes the bot uploaded (charts).
        self.uploads: dict[str, bytes] = {}
        self.commands: dict[str, list[JSON]] = {}
        self.webhook_url = ""
        self.webhook_secret = ""
        self.forum_topics: dict[int, dict[int, JSON]] = {}
        self.faults: list[Fault] = []
        self._pending: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._query_ids = itertools.count(1)
        self._thread_ids = itertools.count(100)
        self._changed = asyncio.Event()
        self._update_ready = asyncio.Event()
        self._closing = False
        # Webhook mode: posts updates to the bot (bot.localapi.delivery).
        self.delivery = WebhookDelivery(self)
        self._awaiting: dict[int | None, Delivery] = {}

    def shutdown(self) -> None:
        """End every pending long poll: the server is going away."""
        self._closing = True
        self._update_ready.set()

    # ------------------------------------------------------------------ webhook delivery
    def take_pending(self) -> list[JSON]:
        """Hand every queued update to the webhook delivery."""
        taken, self._pending = self._pending, []
        return taken

    def give_back(self, update: JSON) -> None:
        """An update the webhook could not deliver before it was removed: queue it again."""
        self._pending.append(update)
        self._pending.sort(key=lambda item: int(item["update_id"]))
        self._update_ready.set()

    def awaiting_reply(self, chat_id: int | None, delivery: Delivery) -> None:
        """Note when the bot first shows something in this chat after this update's post."""
        self._awaiting[chat_id] = delivery

    def _note_reply(self, method: str, params: JSON) -> None:
        if method.lower() not in SHOWING or not self._awaiting:
            return
        try:
            chat_id = int(params.get("chat_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return
        delivery = self._awaiting.pop(chat_id, None)
        if delivery is not None and delivery.first_reply is None:
            delivery.first_reply = time.monotonic()

    # ------------------------------------------------------------------ the people's side
    def add_user(
        self,
        user_id: int,
        first_name: str = "Test",
        language_code: str | None = "en",
        username: str | None = None,
    ) -> JSON:
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        if username:
            user["username"] = username
        self.users[user_id] = user
        self.chats[user_id] = {"id": user_id, "type": "private", "first_name": first_name}
        return user

    def add_group(self, chat_id: int, title: str, forum: bool = True) -> JSON:
        chat = {"id": chat_id, "type": "supergroup", "title": title, "is_forum": forum}
        self.chats[chat_id] = chat
        return chat

    def _new_message(self, chat_id: int, sender: JSON, **content: Any) -> JSON:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        message = {
            "message_id": next(counter),
            "from": sender,
            "chat": self.chats[chat_id],
            "date": int(time.time()),
            **{key: value for key, value in content.items() if value is not None},
        }
        self.messages[(chat_id, message["message_id"])] = message
        self._chat_messages.setdefault(chat_id, []).append(message["message_id"])
        self._touch()
        return message

    def _push(self, payload: JSON) -> JSON:
        update = {"update_id": next(self._update_ids), **payload}
        self._pending.append(update)
        self._update_ready.set()
        if self.webhook_url:
            self.delivery.wake()
        return update

    def user_sends(self, user_id: int, chat_id: int | None = None, **content: Any) -> JSON:
        """The person sends a message (text=…, location=…, sticker=…); returns the update."""
        chat_id = user_id if chat_id is None else chat_id
        text = content.get("text")
        if isinstance(text, str) and text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        message = self._new_message(chat_id, self.users[user_id], **content)
        return self._push({"message": message})

    def user_presses(self, user_id: int, message: JSON, data: str) -> JSON:
        """The person presses an inline button carrying `data` under `message`."""
        query_id = str(next(self._query_ids))
        query = {
            "id": query_id,
            "from": self.users[user_id],
            "message": _as_in_update(
                self.messages.get((message["chat"]["id"], message["message_id"]), message)
            ),
            "chat_instance": f"ci{message['chat']['id']}",
            "data": data,
        }
        self.callback_answers[query_id] = {}
        return self._push({"callback_query": query})

    def user_edits(self, user_id: int, message: JSON, text: str) -> JSON:
        """The person edits a message they sent."""
        key = (message["chat"]["id"], message["message_id"])
        edited = {**self.messages[key], "text": text, "edit_date": int(time.time())}
        self.messages[key] = edited
        return self._push({"edited_message": edited})

    def bot_added_to(self, user_id: int, chat_id: int) -> JSON:
        """Someone adds the bot to a group."""
        member = {
            "chat": self.chats[chat_id],
            "from": self.users[user_id],
            "date": int(time.time()),
            "old_chat_member": {"status": "left", "user": self.bot_user},
            "new_chat_member": {"status": "member", "user": self.bot_user},
        }
        return self._push({"my_chat_member": member})

    def push(self, payload: JSON) -> JSON:
        """Deliver any update payload as it is (tests of odd and malformed updates)."""
        return self._push(payload)

    def bot_messages(self, chat_id: int) -> list[JSON]:
        """What the bot has sent into a chat and not deleted, oldest first."""
        keys = ((chat_id, message_id) for message_id in self._chat_messages.get(chat_id, ()))
        return [
            self.messages[key]
            for key in keys
            if key not in self.deleted and self.messages[key]["from"].get("is_bot")
        ]

    async def wait_changed(self, timeout: float) -> bool:
        """Wait until the bot changes anything (sends, edits, deletes); False on time-out."""
        self._changed.clear()
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def _touch(self) -> None:
        self._changed.set()

    # ------------------------------------------------------------------ the Bot API
    def check_token(self, token: str) -> None:
        if token != self.token:
            raise ApiError(401, "Unauthorized")

    def inject(
        self,
        method: str,
        code: int,
        description: str,
        *,
        retry_after: int | None = None,
        delay: float = 0.0,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail: 429 with `retry_after`, a 5xx, or a
        `delay` longer than the client waits (a time-out; nothing is delivered)."""
        self.faults.append(Fault(method.lower(), code, description, retry_after, delay, times))

    async def _play_fault(self, method: str) -> None:
        for fault in self.faults:
            if fault.method == method.lower() and fault.times > 0:
                fault.times -= 1
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                parameters = {"retry_after": fault.retry_after} if fault.retry_after else None
                raise ApiError(fault.code, fault.description, parameters)

    async def call(self, method: str, params: JSON) -> Any:
        """Answer one Bot API method; raises ApiError like Telegram would."""
        self.calls.append(Call(method, params))
        if self.faults:
            await self._play_fault(method)
        self._note_reply(method, params)
        handler: Callable[[JSON], Any] | None = getattr(self, f"_api_{method.lower()}", None)
        if method.lower() == "getupdates":
            return await self._get_updates(params)
        if handler is None:
            raise ApiError(404, "Not Found")
        return _as_returned(handler(params))

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook_url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while not self._pending and not self._closing and time.monotonic() < deadline:
            self._update_ready.clear()
            try:
                await asyncio.wait_for(self._update_ready.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
        return self._pending[:limit]

    def _chat(self, params: JSON) -> JSON:
        chat_id = params.get("chat_id")
        try:
            return self.chats[int(chat_id)]  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None

    def _message(self, params: JSON) -> JSON:
        chat = self._chat(params)
        key = (chat["id"], int(params.get("message_id") or 0))
        if key not in self.messages or key in self.deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        return self.messages[key]

    @staticmethod
    def _check_markup(markup: Any) -> Any:
        if not markup:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
        return markup

    def _sent(self, params: JSON, **content: Any) -> JSON:
        chat = self._chat(params)
        thread = params.get("message_thread_id")
        return self._new_message(
            chat["id"],
            self.bot_user,
            reply_markup=self._check_markup(params.get("reply_markup")),
            message_thread_id=int(thread) if thread else None,
            **content,
        )

    def _api_getme(self, params: JSON) -> JSON:
        return self.bot_user

    def _api_sendmessage(self, params: JSON) -> JSON:
        raw = str(params.get("text") or "")
        text = plain_text(raw, params.get("parse_mode"))
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return self._sent(params, text=text, html=raw)

    def _api_editmessagetext(self, params: JSON) -> JSON:
        message = self._message(params)
        raw = str(params.get("text") or "")
        text = plain_text(raw, params.get("parse_mode"))
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        markup = self._check_markup(params.get("reply_markup"))
        if message.get("text") == text and message.get("reply_markup") == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message "
                "content and reply markup are exactly the same",
            )
        message.update(text=text, html=raw, reply_markup=markup, edit_date=int(time.time()))
        self._touch()
        return message

    def _api_editmessagereplymarkup(self, params: JSON) -> JSON:
        message = self._message(params)
        message["reply_markup"] = self._check_markup(params.get("reply_markup"))
        message["edit_date"] = int(time.time())
        self._touch()
        return message

    def _api_deletemessage(self, params: JSON) -> bool:
        chat = self._chat(params)
        key = (chat["id"], int(params.get("message_id") or 0))
        if key not in self.messages or key in self.deleted:
            raise ApiError(400, "Bad Request: message to delete not found")
        self.deleted.add(key)
        self._touch()
        return True

    def _api_deletemessages(self, params: JSON) -> bool:
        chat = self._chat(params)
        for message_id in params.get("message_ids") or []:
            key = (chat["id"], int(message_id))
            if key in self.messages:
                self.deleted.add(key)
        self._touch()
        return True

    def _api_answercallbackquery(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id"))
        # A query is answered once; Telegram refuses a second answer like an unknown one.
        if query_id not in self.callback_answers or self.callback_answers[query_id]:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self.callback_answers[query_id] = {
            "text": params.get("text"),
            "show_alert": bool(params.get("show_alert")),
        }
        return True

    def _api_sendphoto(self, params: JSON) -> JSON:
        photo = params.get("photo")
        if isinstance(photo, dict) and isinstance(photo.get("content"), bytes):
            content: bytes = photo["content"]
            file_id = f"upload-{len(self.uploads) + 1}"
            self.uploads[file_id] = content
            width, height = _image_size(content)
        elif isinstance(photo, str) and photo:
            file_id, width, height = photo, 90, 90
        else:
            raise ApiError(400, "Bad Request: there is no photo in the request")
        size = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "width": width,
            "height": height,
        }
        caption = params.get("caption")
        if caption is not None:
            caption = str(caption)
            if len(plain_text(caption, params.get("parse_mode"))) > MAX_CAPTION:
                raise ApiError(400, "Bad Request: message caption is too long")
        return self._sent(params, photo=[size], caption=caption)

    def _api_sendlocation(self, params: JSON) -> JSON:
        location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        return self._sent(params, location=location)

    def _api_sendvenue(self, params: JSON) -> JSON:
        location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        venue = {
            "location": location,
            "title": params.get("title"),
            "address": params.get("address"),
        }
        return self._sent(params, venue=venue, location=location)

    def _api_copymessage(self, params: JSON) -> JSON:
        source_chat = self._chat({"chat_id": params.get("from_chat_id")})
        key = (source_chat["id"], int(params.get("message_id") or 0))
        if key not in self.messages or key in self.deleted:
            raise ApiError(400, "Bad Request: message to copy not found")
        original = self.messages[key]
        content = {
            name: original[name]
            for name in (
                "text",
                "html",
                "location",
                "venue",
                "photo",
                "document",
                "voice",
                "sticker",
                "caption",
            )
            if name in original
        }
        if params.get("caption") is not None:
            content["caption"] = params["caption"]
        message = self._sent(params, **content)
        return {"message_id": message["message_id"]}

    def _api_forwardmessage(self, params: JSON) -> JSON:
        source_chat = self._chat({"chat_id": params.get("from_chat_id")})
        original = self.messages.get((source_chat["id"], int(params.get("message_id") or 0)))
        if original is None:
            raise ApiError(400, "Bad Request: message to forward not found")
        origin = {"type": "user", "sender_user": original["from"], "date": original["date"]}
        content = {k: v for k, v in original.items() if k in ("text", "location", "caption")}
        return self._sent(params, forward_origin=origin, **content)

    def _api_createforumtopic(self, params: JSON) -> JSON:
        chat = self._chat(params)
        if not chat.get("is_forum"):
            raise ApiError(400, "Bad Request: the chat is not a forum")
        thread_id = next(self._thread_ids)
        topic = {
            "message_thread_id": thread_id,
            "name": params.get("name"),
            "icon_color": int(params.get("icon_color") or 7322096),
        }
        self.forum_topics.setdefault(chat["id"], {})[thread_id] = topic
        self._touch()
        return topic

    def _forum_topic(self, params: JSON) -> JSON:
        chat = self._chat(params)
        thread = int(params.get("message_thread_id") or 0)
        try:
            return self.forum_topics[chat["id"]][thread]
        except KeyError:
            raise ApiError(400, "Bad Request: TOPIC_ID_INVALID") from None

    def _api_editforumtopic(self, params: JSON) -> bool:
        topic = self._forum_topic(params)
        if params.get("name"):
            topic["name"] = params["name"]
        return True

    def _api_closeforumtopic(self, params: JSON) -> bool:
        self._forum_topic(params)["closed"] = True
        return True

    def _api_reopenforumtopic(self, params: JSON) -> bool:
        self._forum_topic(params)["closed"] = False
        return True

    def _api_deleteforumtopic(self, params: JSON) -> bool:
        chat = self._chat(params)
        self._forum_topic(params)
        del self.forum_topics[chat["id"]][int(params["message_thread_id"])]
        return True

    def _api_sendchataction(self, params: JSON) -> bool:
        self._chat(params)
        return True

    def _api_setmycommands(self, params: JSON) -> bool:
        self.commands[str(params.get("language_code") or "")] = list(params.get("commands") or [])
        return True

    def _api_getmycommands(self, params: JSON) -> list[JSON]:
        return self.commands.get(str(params.get("language_code") or ""), [])

    def _api_deletemycommands(self, params: JSON) -> bool:
        self.commands.pop(str(params.get("language_code") or ""), None)
        return True

    def _api_setwebhook(self, params: JSON) -> bool:
        url = str(params.get("url") or "")
        secret = str(params.get("secret_token") or "")
        if url and not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ApiError(400, "Bad Request: bad webhook: HTTPS url must be provided for webhook")
        if secret and not all(c.isalnum() or c in "_-" for c in secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook_url = url
        self.webhook_secret = secret
        self.delivery.configure(url, secret, int(params.get("max_connections") or 40))
        return True

    def _api_deletewebhook(self, params: JSON) -> bool:
        self.webhook_url = ""
        self.delivery.configure("", "", self.delivery.max_connections)
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    def _api_getwebhookinfo(self, params: JSON) -> JSON:
        undelivered = sum(1 for d in self.delivery.deliveries.values() if d.done_at is None)
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending) + undelivered,
            **self.delivery.info(),
        }

    def _api_getchat(self, params: JSON) -> JSON:
        return {**self._chat(params), "accent_color_id": 0, "max_reaction_count": 11}

    def _api_leavechat(self, params: JSON) -> bool:
        chat = self._chat(params)
        chat["left"] = True
        self._touch()
        return True

    def _api_close(self, params: JSON) -> bool:
        return True

    def _api_logout(self, params: JSON) -> bool:
        return True


def _image_size(content: bytes) -> tuple[int, int]:
    """Width and height of a PNG (what the bot sends); Telegram refuses what is not an image."""
    if not content.startswith(b"\x89PNG\r\n\x1a\n") or len(content) < 24:
        raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
    return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")


def _as_in_update(message: JSON) -> JSON:
    """A message as Telegram puts it into an update: only an inline keyboard is shown (a reply
    keyboard belongs to the chat, not to the message)."""
    markup = message.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" not in markup:
        return {key: value for key, value in message.items() if key != "reply_markup"}
    return message


def _as_returned(result: Any) -> Any:
    """A sent message as Telegram returns it: only an inline keyboard is echoed back (a reply
    keyboard belongs to the chat, not to the message)."""
    if isinstance(result, dict) and "message_id" in result:
        markup = result.get("reply_markup")
        if markup is not None and "inline_keyboard" not in markup:
            return {key: value for key, value in result.items() if key != "reply_markup"}
    return result
