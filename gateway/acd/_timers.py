"""The core's agenda: when offer timeouts, wrap-ups, relaxation steps and max waits fall due.

Timers are never cancelled; each carries a token (an epoch or a deadline) and is ignored when it fires if
the state has moved on. That keeps arming idempotent and replay-friendly.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from enum import IntEnum
from typing import NamedTuple

__all__ = ["KIND", "Timer", "TimerKind", "Timers"]


class TimerKind(IntEnum):
    # the order settles ties: an offer times out before a max wait at the same instant decides an exit
    OFFER_TIMEOUT = 0
    WRAP_UP = 1
    RELAX = 2
    MAX_WAIT = 3


class Timer(NamedTuple):
    at: float
    kind: TimerKind
    counter: int
    key: str  # interaction id, or agent id for WRAP_UP
    token: float  # epoch (int) or deadline, compared with the state when the timer fires


# what the heap holds: a Timer's fields with the kind as a plain int, so an entry is a plain tuple of atoms
# (cheap to build, and left alone by the cyclic garbage collector once it has seen it)
_Entry = tuple[float, int, int, str, float]
_KINDS = tuple(TimerKind)
KIND = {k: int(k) for k in TimerKind}  # the plain int of each kind


class Timers:
    def __init__(self, valid: Callable[[Timer], bool]) -> None:
        self._heap: list[_Entry] = []
        self._counter = itertools.count()
        self._valid = valid

    def arm(self, at: float, kind: int, key: str, token: float) -> None:
        """`kind` is a `TimerKind`; pass its plain int (`KIND`) to keep the entry a tuple of atoms."""
        heapq.heappush(self._heap, (at, kind, next(self._counter), key, token))

    def next_deadline(self) -> float | None:
        self._drop_stale()
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: float) -> Timer | None:
        self._drop_stale()
        if self._heap and self._heap[0][0] <= now:
            return _timer(heapq.heappop(self._heap))
        return None

    def pending(self) -> list[tuple[float, str, str]]:
        """Valid timers as (at, kind, key), canonical for snapshots."""
        timers = [_timer(entry) for entry in self._heap]
        return sorted({(t.at, t.kind.name, t.key) for t in timers if self._valid(t)})

    def _drop_stale(self) -> None:
        while self._heap and not self._valid(_timer(self._heap[0])):
            heapq.heappop(self._heap)


def _timer(entry: _Entry) -> Timer:
    at, kind, counter, key, token = entry
    return Timer(at, _KINDS[kind], counter, key, token)
