"""Client for the Rasa NLU service's HTTP API.

Errors: every failure to get an answer (not running, slow, bad auth, malformed reply) is raised
as :class:`NluUnavailable`; callers fall back to menus and keywords and never see httpx errors.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["Entity", "IntentGuess", "NluClient", "NluUnavailable", "Understanding"]

log = logging.getLogger(__name__)

# Longer messages are cut before parsing: the intent is almost always in the first lines, and
# a huge paste must not stall the service.
MAX_CHARS = 1000


class NluUnavailable(Exception):
    """The NLU service gave no usable answer."""


@dataclass(frozen=True)
class IntentGuess:
    name: str
    confidence: float


@dataclass(frozen=True)
class Entity:
    entity: str
    value: str


@dataclass(frozen=True)
class Understanding:
    intent: IntentGuess
    ranking: tuple[IntentGuess, ...]
    entities: tuple[Entity, ...]


def _guess(raw: Any) -> IntentGuess:
    return IntentGuess(name=str(raw["name"]), confidence=float(raw["confidence"]))


def parse_response(body: Any) -> Understanding:
    """Read Rasa's /model/parse answer."""
    try:
        intent = _guess(body["intent"])
        ranking = tuple(_guess(item) for item in body.get("intent_ranking") or [body["intent"]])
        entities = tuple(
            Entity(entity=str(item["entity"]), value=str(item["value"]))
            for item in body.get("entities") or []
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise NluUnavailable(f"malformed reply: {type(exc).__name__}") from None
    return Understanding(intent=intent, ranking=ranking, entities=entities)


class NluClient:
    """Async, time-limited, one reused connection pool; remembers whether the service is up."""

    def __init__(self, url: str, timeout: float, auth_token: str = "") -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.auth_token = auth_token
        self.available = False
        self._client: httpx.AsyncClient | None = None

    async def open(self) -> None:
        self._client = httpx.AsyncClient(base_url=self.url, timeout=self.timeout)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _params(self) -> dict[str, str]:
        return {"token": self.auth_token} if self.auth_token else {}

    async def parse(self, text: str, language: str) -> Understanding:
        """The intents and entities of `text`, written by a person who chose `language`."""
        if self._client is None:
            raise NluUnavailable("client is not open")
        payload = {"text": text[:MAX_CHARS], "metadata": {"language": language}}
        try:
            response = await self._client.post("/model/parse", json=payload, params=self._params())
            response.raise_for_status()
            understanding = parse_response(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            self._mark(False, type(exc).__name__)
            raise NluUnavailable(type(exc).__name__) from None
        except NluUnavailable:
            self._mark(False, "malformed reply")
            raise
        self._mark(True, "")
        return understanding

    async def ready(self) -> bool:
        """Whether the service answers and has a model loaded."""
        if self._client is None:
            return False
        try:
            response = await self._client.get("/status", params=self._params())
            ok = response.status_code == 200 and bool(response.json().get("model_file"))
        except (httpx.HTTPError, ValueError):
            ok = False
        self._mark(ok, "not ready")
        return ok

    def _mark(self, up: bool, reason: str) -> None:
        if up != self.available:
            if up:
                log.info("NLU service is available at %s", self.url)
            else:
                log.warning("NLU service unavailable (%s); using menus and keywords", reason)
        self.available = up
