"""Client for the Rasa NLU service's HTTP API.

Errors: every failure to get an answer (not running, slow, bad auth, malformed reply) is raised
as :class:`NluUnavailable`; callers fall back to menus and keywords and never see httpx errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from bot.metrics import Metrics

__all__ = ["Entity", "IntentGuess", "NluClient", "NluUnavailable", "Replica", "Understanding"]

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


@dataclass
class Replica:
    """One NLU service the bot may ask; `up` is None until it has been tried."""

    url: str
    up: bool | None = None
    client: httpx.AsyncClient | None = None
    failures: int = 0


class NluClient:
    """Async, time-limited client for one NLU service or several replicas.

    Requests go round-robin to the replicas that answer. A replica that fails is skipped (the
    request goes to the next one at once). Every `probe_interval` seconds each replica is asked
    for its status: a dead one is dropped, a recovered one takes its share again. With every
    replica down, each request still tries one of them, so a recovery is noticed at once.
    """

    def __init__(
        self,
        url: str | Sequence[str],
        timeout: float,
        auth_token: str = "",
        metrics: Metrics | None = None,
        probe_interval: float = 5.0,
    ) -> None:
        urls = url.split(",") if isinstance(url, str) else list(url)
        self.replicas = [Replica(u.strip().rstrip("/")) for u in urls if u.strip()]
        if not self.replicas:
            raise ValueError("no NLU URL")
        self.url = ", ".join(replica.url for replica in self.replicas)
        self.timeout = timeout
        self.auth_token = auth_token
        self.metrics = metrics
        self.probe_interval = probe_interval
        self._next = 0
        self._probe: asyncio.Task[None] | None = None

    @property
    def available(self) -> bool:
        """Whether some replica answered last time it was asked."""
        return any(replica.up for replica in self.replicas)

    async def open(self, probe: bool = False) -> None:
        """Open a connection pool per replica; with `probe`, also watch the ones that are down."""
        for replica in self.replicas:
            replica.client = httpx.AsyncClient(base_url=replica.url, timeout=self.timeout)
        if probe:
            self._probe = asyncio.create_task(self._probe_forever(), name="nlu-probe")

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
            self._probe = None
        for replica in self.replicas:
            if replica.client is not None:
                await replica.client.aclose()
                replica.client = None

    def _params(self) -> dict[str, str]:
        return {"token": self.auth_token} if self.auth_token else {}

    def _rotation(self) -> list[Replica]:
        """The replicas to try for the next request, best first."""
        count = len(self.replicas)
        start, self._next = self._next, (self._next + 1) % count
        ordered = [self.replicas[(start + i) % count] for i in range(count)]
        healthy = [replica for replica in ordered if replica.up is not False]
        # Every replica down: try one anyway (in turn), it may be back before the next probe.
        return healthy[:2] if healthy else ordered[:1]

    async def parse(self, text: str, language: str) -> Understanding:
        """The intents and entities of `text`, written by a person who chose `language`."""
        payload = {"text": text[:MAX_CHARS], "metadata": {"language": language}}
        reason = "no replica"
        # At most two replicas per message: one dead replica costs a retry, not a time-out each.
        for replica in self._rotation():
            try:
                return await self._parse_at(replica, payload)
            except NluUnavailable as exc:
                reason = str(exc)
        if self.metrics is not None:
            self.metrics.nlu_fallbacks.inc()
        raise NluUnavailable(reason)

    async def _parse_at(self, replica: Replica, payload: dict[str, Any]) -> Understanding:
        if replica.client is None:
            raise NluUnavailable("client is not open")
        started = time.perf_counter()
        try:
            response = await replica.client.post(
                "/model/parse", json=payload, params=self._params()
            )
            response.raise_for_status()
            understanding = parse_response(response.json())
        except (httpx.HTTPError, ValueError, NluUnavailable) as exc:
            reason = "malformed reply" if isinstance(exc, NluUnavailable) else type(exc).__name__
            if self.metrics is not None:
                self.metrics.nlu_errors.labels(replica.url, reason).inc()
            self._mark(replica, False, reason)
            raise NluUnavailable(reason) from None
        if self.metrics is not None:
            self.metrics.nlu_seconds.labels(replica.url).observe(time.perf_counter() - started)
        self._mark(replica, True, "")
        return understanding

    async def _status(self, replica: Replica) -> bool:
        if replica.client is None:
            return False
        try:
            response = await replica.client.get("/status", params=self._params())
            ok = response.status_code == 200 and bool(response.json().get("model_file"))
        except (httpx.HTTPError, ValueError):
            ok = False
        self._mark(replica, ok, "not ready")
        return ok

    async def ready(self) -> bool:
        """Whether some replica answers and has a model loaded (asks every replica)."""
        results = await asyncio.gather(*(self._status(replica) for replica in self.replicas))
        return any(results)

    async def _probe_forever(self) -> None:
        """Ask every replica for its status, so a dead one is known before a person's message
        finds out, and a recovered one is taken back."""
        while True:
            await asyncio.gather(*(self._status(replica) for replica in self.replicas))
            await asyncio.sleep(self.probe_interval)

    def _mark(self, replica: Replica, up: bool, reason: str) -> None:
        where = (
            f"NLU replica {self.replicas.index(replica) + 1} of {len(self.replicas)}"
            if len(self.replicas) > 1
            else "NLU service"
        )
        if up != replica.up:
            others = any(other.up is not False for other in self.replicas if other is not replica)
            if up:
                log.info("%s is available at %s", where, replica.url)
            elif others:
                log.warning("%s (%s) unavailable (%s); skipping it", where, replica.url, reason)
            else:
                log.warning("%s unavailable (%s); using menus and keywords", where, reason)
        replica.up = up
        replica.failures = 0 if up else replica.failures + 1
        if self.metrics is not None:
            self.metrics.nlu_up.labels(replica.url).set(1 if up else 0)
