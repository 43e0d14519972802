"""Where the routing state lives: the event log and its sequence, behind `StateStore`.

The core is event-sourced: its working state is a fold of the log (`RoutingState.apply`), so a store only
has to hand out sequence numbers and keep events in order. `InMemoryStore` is the embedded default; a Redis
store (INCR for `next_seq`, a stream for the log) passes the same contract tests.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Protocol

from .events import Event

__all__ = ["InMemoryStore", "StateStore"]


class StateStore(Protocol):
    def next_seq(self) -> int:
        """Reserve and return the next sequence number (strictly greater than any returned or appended)."""
        ...

    def append(self, events: Sequence[Event]) -> None:
        """Append events in order; each seq must be greater than the last appended, else ValueError and
        nothing is appended."""
        ...

    def read(self, after_seq: int = 0, limit: int | None = None) -> list[Event]:
        """Events with seq > `after_seq`, in order, at most `limit`."""
        ...

    def last_seq(self) -> int:
        """The seq of the last appended event, 0 when empty."""
        ...


class InMemoryStore:
    def __init__(self) -> None:
        self._events: list[Event] = []
        self._seqs: list[int] = []
        self._reserved = 0

    def next_seq(self) -> int:
        self._reserved += 1
        return self._reserved

    def append(self, events: Sequence[Event]) -> None:
        last = self.last_seq()
        for ev in events:
            if ev.seq <= last:
                raise ValueError(f"event seq {ev.seq} is not after {last}")
            last = ev.seq
        self._events.extend(events)
        self._seqs.extend(ev.seq for ev in events)
        self._reserved = max(self._reserved, last)

    def read(self, after_seq: int = 0, limit: int | None = None) -> list[Event]:
        start = bisect.bisect_right(self._seqs, after_seq)
        stop = len(self._events) if limit is None else start + max(0, limit)
        return self._events[start:stop]

    def last_seq(self) -> int:
        return self._seqs[-1] if self._seqs else 0
