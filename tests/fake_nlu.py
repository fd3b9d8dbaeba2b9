"""A fake NLU service with Rasa's HTTP API (/status, /model/parse) and scripted answers."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field

from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler

TOKEN = "test-nlu-token"


@dataclass
class Script:
    """What the fake answers: text → ranking of (intent, confidence); everything else → default."""

    answers: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    # text → [(entity, value)], e.g. [("service_type", "ost"), ("city", "Алматы")]
    entities: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    default: list[tuple[str, float]] = field(default_factory=lambda: [("out_of_scope", 0.9)])
    down: bool = False
    requests: list[dict[str, object]] = field(default_factory=list)


class _Parse(RequestHandler):
    def initialize(self, script: Script) -> None:
        self.script = script

    def check_xsrf_cookie(self) -> None:
        """An API."""

    def post(self) -> None:
        if self.script.down:
            self.set_status(503)
            return
        if self.get_query_argument("token", "") != TOKEN:
            self.set_status(401)
            self.write({"error": "NotAuthenticated"})
            return
        body = json.loads(self.request.body)
        self.script.requests.append(body)
        ranking = self.script.answers.get(body["text"].lower(), self.script.default)
        intents = [{"name": name, "confidence": conf} for name, conf in ranking]
        entities = [
            {"entity": entity, "value": value}
            for entity, value in self.script.entities.get(body["text"].lower(), [])
        ]
        self.write(
            {
                "text": body["text"],
                "intent": intents[0],
                "intent_ranking": intents,
                "entities": entities,
            }
        )


class _Status(RequestHandler):
    def initialize(self, script: Script) -> None:
        self.script = script

    def get(self) -> None:
        if self.script.down:
            self.set_status(503)
            return
        self.write({"model_file": "fake.tar.gz", "model_id": "fake"})


class FakeNlu:
    """Serves a Script on 127.0.0.1."""

    def __init__(self) -> None:
        self.script = Script()
        self._server: HTTPServer | None = None
        self.url = ""

    async def start(self) -> None:
        app = Application(
            [
                (r"/model/parse", _Parse, {"script": self.script}),
                (r"/status", _Status, {"script": self.script}),
            ]
        )
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        sock.setblocking(False)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._server = HTTPServer(app)
        self._server.add_sockets([sock])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
