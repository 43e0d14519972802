"""Where the routing state lives: the event log and its sequence, behind `StateStore`.

The core is event-sourced: its working state is a fold of the log (`RoutingState.apply`), so a store only
has to hand out sequence numbers and keep events in order. `InMemoryStore` is the embedded default; a Redis
store (INCR for `next_seq`, a stream for the log) passes the same contract tests.
"""

from __future__ import annotations

import bisect
import itertools
import operator
from collections import deque
from collections.abc import Sequence
from typing import Protocol

from .errors import EventsDropped
from .events import Event

__all__ = ["DEFAULT_MAX_EVENTS", "InMemoryStore", "StateStore"]

# The gateway persists every event through its sink, so memory only needs a recent tail; keeping the whole
# history would grow without bound and make every full garbage collection slower.
DEFAULT_MAX_EVENTS = 10_000


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
    """The log in memory, keeping the last `max_events` events (`None`: all of them).

    Reading from before the retained tail raises `EventsDropped` rather than returning a log with a hole.
    """

    def __init__(self, *, max_events: int | None = DEFAULT_MAX_EVENTS) -> None:
        if max_events is not None and max_events < 1:
            raise ValueError(f"in-memory store: max_events must be >= 1 or None, got {max_events}")
        self._events: deque[Event] = deque(maxlen=max_events)
        self._reserved = 0
        self._last = 0
        self._appended = 0  # more than the deque holds: the oldest were let go

    @property
    def max_events(self) -> int | None:
        return self._events.maxlen

    @property
    def dropped_through(self) -> int:
        """The seq of the newest event let go, 0 while the log is complete. Read off the oldest event kept,
        since events are kept in seq order: a seq reserved, never appended, just before it counts as gone."""
        kept = self._events
        return kept[0].seq - 1 if self._appended > len(kept) else 0

    def next_seq(self) -> int:
        self._reserved += 1
        return self._reserved

    def append(self, events: Sequence[Event]) -> None:
        last = self._last
        for ev in events:
            if ev[0] <= last:  # ev.seq, read by position: this runs for every event
                raise ValueError(f"event seq {ev.seq} is not after {last}")
            last = ev[0]
        self._appended += len(events)
        self._events.extend(events)
        self._last = last
        if last > self._reserved:
            self._reserved = last

    def read(self, after_seq: int = 0, limit: int | None = None) -> list[Event]:
        dropped_through = self.dropped_through
        if after_seq < dropped_through:
            raise EventsDropped(after_seq, dropped_through)
        start = bisect.bisect_right(self._events, after_seq, key=_seq)
        stop = None if limit is None else start + max(0, limit)
        return list(itertools.islice(self._events, start, stop))

    def last_seq(self) -> int:
        return self._last


_seq = operator.itemgetter(0)  # an event's seq (`Event` is a named tuple)
