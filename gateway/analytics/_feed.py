"""`StatsFeed`: the metrics engine served live. The routing server folds every batch of events into it as
the batch is published; a supervisor's console reads `snapshot()` on connect and subscribes to deltas.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence

from gateway.acd import Event

from ._engine import MetricsEngine
from ._figures import Changes, Snapshot

__all__ = ["StatsFeed", "StatsListener"]

logger = logging.getLogger("helpline.analytics")

StatsListener = Callable[[Snapshot], None]
"""Called on the event loop right after a batch is folded, with a `Snapshot` that holds only the queues and
agents the batch changed (their figures for today). It must not block: push it on, or queue it."""


class StatsFeed:
    def __init__(self, engine: MetricsEngine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self._clock = clock
        self._listeners: list[StatsListener] = []

    def replay(self, events: Iterable[Event]) -> None:
        """Rebuild from the stored log (at start): nobody listens to history."""
        for event in events:
            self.engine.apply(event)
        self.engine.changes()

    def fold(self, events: Sequence[Event]) -> Changes:
        """Fold a published batch and tell the listeners what it changed."""
        engine = self.engine
        for event in events:
            engine.apply(event)
        changes = engine.changes()
        if changes and self._listeners:
            delta = self.delta(changes)
            for listener in list(self._listeners):
                try:
                    listener(delta)
                except Exception:
                    logger.exception("a statistics listener failed; the others still get the delta")
        return changes

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
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None
