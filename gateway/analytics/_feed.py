"""`StatsFeed`: the metrics engine served live. The routing server folds every batch of events into it as
the batch is published; a supervisor's console reads `snapshot()` on connect and subscribes to deltas.

Deltas are coalesced: the first batch that changes something schedules one delta `coalesce_seconds` later
(on the running event loop), holding every queue and agent changed meanwhile, so a busy center costs one
figure per changed queue or agent per period instead of one per event.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence

from gateway.acd import Event

from ._engine import MetricsEngine
from ._figures import Changes, Snapshot

__all__ = ["StatsFeed", "StatsListener"]

logger = logging.getLogger("helpline.analytics")

StatsListener = Callable[[Snapshot], None]
"""Called on the event loop with a `Snapshot` that holds only the queues and agents changed since the last
delta (their figures for today). It must not block: push it on, or queue it."""


class StatsFeed:
    def __init__(
        self,
        engine: MetricsEngine,
        *,
        clock: Callable[[], float] = time.time,
        coalesce_seconds: float | None = 0.25,
    ) -> None:
        """`coalesce_seconds=None`: the caller calls `flush()` itself (no event loop needed)."""
        if coalesce_seconds is not None and not 0 <= coalesce_seconds <= 1:
            raise ValueError(f"stats: coalesce_seconds must be in [0, 1], got {coalesce_seconds}")
        self.engine = engine
        self._clock = clock
        self._coalesce = coalesce_seconds
        self._listeners: list[StatsListener] = []
        self._timer: asyncio.TimerHandle | None = None

    def replay(self, events: Iterable[Event]) -> None:
        """Rebuild from the stored log (at start): nobody listens to history."""
        for event in events:
            self.engine.apply(event)
        self.engine.changes()

    def fold(self, events: Sequence[Event]) -> None:
        """Fold a published batch; the listeners hear of what it changed with the next delta."""
        engine = self.engine
        for event in events:
            engine.apply(event)
        if self._listeners and engine.changed():
            self._schedule()  # the engine keeps what changed until the delta asks for it

    def _schedule(self) -> None:
        if self._timer is not None or self._coalesce is None:
            return
        if self._coalesce == 0:
            self.flush()
            return
        self._timer = asyncio.get_running_loop().call_later(self._coalesce, self.flush)

    def flush(self) -> None:
        """Send the listeners one delta of everything changed since the last one (if anything did)."""
        self._timer = None
        changes = self.engine.changes()
        if not changes or not self._listeners:
            return
        delta = self.delta(changes)
        for listener in list(self._listeners):
            try:
                listener(delta)
            except Exception:
                logger.exception("a statistics listener failed; the others still get the delta")

    def close(self) -> None:
        """Stop a scheduled delta (at shutdown)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def snapshot(self) -> Snapshot:
        """The whole day so far, every queue and agent: what a console shows on connect."""
        return self.engine.snapshot(self._clock())

    def delta(self, changes: Changes) -> Snapshot:
        now, engine = self._clock(), self.engine
        return Snapshot(
            at=now,
            day_start=engine.today(now)[0],
            queues=tuple(engine.queue(q, now) for q in sorted(changes.queues)),
            agents=tuple(engine.agent(a, now) for a in sorted(changes.agents)),
        )

    def subscribe(self, listener: StatsListener) -> Callable[[], None]:
        """Deltas from now on; returns the function that unsubscribes."""
        if not self._listeners:
            self.engine.changes()  # what changed while nobody listened is in the listener's snapshot
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None
