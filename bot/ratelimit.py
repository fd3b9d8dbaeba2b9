"""How fast one person may write: a token bucket per person, kept in memory only."""

from __future__ import annotations

import time

__all__ = ["RateLimiter"]


class RateLimiter:
    """A token bucket per person, in memory only (ids never leave this process)."""

    def __init__(self, burst: int, per_minute: float) -> None:
        self.burst = float(burst)
        self.rate = per_minute / 60.0
        self._buckets: dict[int, tuple[float, float]] = {}
        self._warned: set[int] = set()

    def take(self, key: int, cost: float = 1.0) -> bool:
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= cost
        if allowed:
            tokens -= cost
            self._warned.discard(key)
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > 50_000:
            self._prune(now)
        return allowed

    def first_refusal(self, key: int) -> bool:
        """True the first time a person is held back in a row of refusals."""
        if key in self._warned:
            return False
        self._warned.add(key)
        return True

    def wait_seconds(self, key: int) -> int:
        tokens, _ = self._buckets.get(key, (self.burst, 0.0))
        return max(1, round((1 - tokens) / self.rate))

    def _prune(self, now: float) -> None:
        for key, (tokens, last) in list(self._buckets.items()):
            if tokens + (now - last) * self.rate >= self.burst:
                del self._buckets[key]
