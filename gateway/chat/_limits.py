"""A per-visitor token bucket: `messages` per `per_seconds`, a burst of `messages` allowed."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    def __init__(
        self, *, messages: int, per_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if messages <= 0 or per_seconds <= 0:
            raise ValueError("chat rate limit: messages and per_seconds must be > 0")
        self._capacity = float(messages)
        self._rate = messages / per_seconds
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str) -> bool:
        now = self._clock()
        tokens, at = self._buckets.get(key, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - at) * self._rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1.0, now)
        return True

    def forget(self, key: str) -> None:
        self._buckets.pop(key, None)
