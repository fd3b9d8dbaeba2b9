"""A Bot API-compatible HTTP server on 127.0.0.1 over a LocalTelegram.

It speaks the protocol python-telegram-bot speaks to api.telegram.org: `POST /bot<token>/<method>`
with form-encoded, multipart or JSON parameters, answering `{"ok": …, "result": …}`. Point the
real bot at it with `base_url`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler

from bot.localapi.world import ApiError, LocalTelegram

__all__ = ["LocalBotApiServer"]

log = logging.getLogger(__name__)

# Parameters that are strings even when they look like JSON ("123", "[x]", "true").
STRING_PARAMS = {
    "text",
    "caption",
    "parse_mode",
    "callback_query_id",
    "name",
    "title",
    "address",
    "url",
    "emoji",
    "description",
    "short_description",
    "language_code",
    "action",
    "query",
    "secret_token",
    "icon_custom_emoji_id",
    "foursquare_id",
    "question",
    "business_connection_id",
}


def decode_params(
    arguments: dict[str, list[bytes]], body: bytes, content_type: str
) -> dict[str, Any]:
    """Bot API parameters from any of the encodings Telegram accepts."""
    if content_type.startswith("application/json") and body:
        loaded = json.loads(body)
        if not isinstance(loaded, dict):
            raise ApiError(400, "Bad Request: parameters must be a JSON object")
        return loaded
    params: dict[str, Any] = {}
    for name, values in arguments.items():
        raw = values[-1].decode("utf-8")
        if name in STRING_PARAMS:
            params[name] = raw
            continue
        try:
            params[name] = json.loads(raw)
        except ValueError:
            params[name] = raw
    return params


class _MethodHandler(RequestHandler):
    def initialize(self, world: LocalTelegram) -> None:
        self.world = world

    def check_xsrf_cookie(self) -> None:
        """An API, not a form site."""

    async def _answer(self, token: str, method: str) -> None:
        try:
            self.world.check_token(token)
            params = decode_params(
                self.request.arguments,
                self.request.body,
                self.request.headers.get("Content-Type", ""),
            )
            # Uploaded files (multipart): the bytes, as Telegram would receive them.
            for name, files in self.request.files.items():
                params[name] = {"filename": files[-1].filename, "content": files[-1].body}
            result = await self.world.call(method, params)
        except ApiError as error:
            self.set_status(error.code)
            answer: dict[str, Any] = {
                "ok": False,
                "error_code": error.code,
                "description": error.description,
            }
            if error.parameters:
                answer["parameters"] = error.parameters
            self.write(answer)
            return
        except (ValueError, KeyError, TypeError) as error:
            self.set_status(400)
            description = f"Bad Request: {type(error).__name__}"
            self.write({"ok": False, "error_code": 400, "description": description})
            return
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps({"ok": True, "result": result}))

    async def post(self, token: str, method: str) -> None:
        await self._answer(token, method)

    async def get(self, token: str, method: str) -> None:
        await self._answer(token, method)


class LocalBotApiServer:
    """Serves one LocalTelegram on 127.0.0.1; `base_url` is what the bot is pointed at."""

    def __init__(self, world: LocalTelegram) -> None:
        self.world = world
        self._server: HTTPServer | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, port: int = 0) -> None:
        app = Application([(r"/bot([^/]+)/(\w+)", _MethodHandler, {"world": self.world})])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        self.world.base_url = self.base_url
        self._server = HTTPServer(app, max_body_size=50 * 1024 * 1024)
        self._server.add_sockets([sock])
        log.info("Local Bot API server listening on %s", self.base_url)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            # Answer pending long polls first, so no handler is left waiting when the loop ends.
            self.world.shutdown()
            await self.world.delivery.stop()
            await asyncio.sleep(0.05)
            await self._server.close_all_connections()
            self._server = None
