"""Login throttling: too many failed logins for one user name or from one address block it for a while.

Counts failures only (a right password clears the user's count), within a sliding window; reaching the limit
blocks the key for `block_seconds`, during which even the right password is answered 429. The table of keys is
bounded (least recently failed forgotten first), so a flood of made-up user names cannot grow it without end.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from gateway.auth.errors import LoginThrottled

__all__ = ["LoginLimits", "LoginThrottle"]

logger = logging.getLogger("helpline.auth")

_MAX_KEYS = 50_000


@dataclass(frozen=True, slots=True)
class LoginLimits:
    failures_per_user: int = 5
    failures_per_address: int = 20
    window_seconds: int = 300
    block_seconds: int = 300

    def __post_init__(self) -> None:
        for name in ("failures_per_user", "failures_per_address", "window_seconds", "block_seconds"):
            if getattr(self, name) < 1:
                raise ValueError(f"login limits: {name} must be >= 1, got {getattr(self, name)}")


class _Counter:
    __slots__ = ("blocked_until", "failures")

    def __init__(self) -> None:
        self.failures: deque[float] = deque()
        self.blocked_until = 0.0


class LoginThrottle:
    def __init__(self, limits: LoginLimits, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._clock = clock
        self._keys: OrderedDict[tuple[str, str], _Counter] = OrderedDict()

    def check(self, user: str, address: str) -> None:
        """Raise LoginThrottled if the user or the address is blocked now."""
        now = self._clock()
        for scope, key in (("user", user), ("address", address)):
            counter = self._keys.get((scope, key))
            if counter is not None and counter.blocked_until > now:
                raise LoginThrottled(scope, math.ceil(counter.blocked_until - now))

    def failed(self, user: str, address: str) -> None:
        """Count a failed login; the one that reaches a limit starts the block."""
        now = self._clock()
        self._count(("user", user), self._limits.failures_per_user, now)
        self._count(("address", address), self._limits.failures_per_address, now)

    def succeeded(self, user: str) -> None:
        self._keys.pop(("user", user), None)

    def _count(self, key: tuple[str, str], limit: int, now: float) -> None:
        counter = self._keys.pop(key, None) or _Counter()
        self._keys[key] = counter  # most recently failed last
        while counter.failures and counter.failures[0] <= now - self._limits.window_seconds:
            counter.failures.popleft()
        counter.failures.append(now)
        if len(counter.failures) >= limit:
            counter.blocked_until = now + self._limits.block_seconds
            counter.failures.clear()
            scope, name = key
            logger.warning(
                "logins for %s %r blocked for %d s after %d failures",
                scope,
                name[:64],
                self._limits.block_seconds,
                limit,
            )
        while len(self._keys) > _MAX_KEYS:
            self._keys.popitem(last=False)
