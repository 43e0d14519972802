"""`StatsFeed`: the metrics engine served live. The routing server folds every batch of events into it as
the batch is published; the supervisor's console reads the whole day on connect, and after each push window
what the engine says changed (`MetricsEngine.changes`, read by the console alone: one road for deltas)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

from gateway.acd import Event

from ._engine import MetricsEngine
from ._figures import Snapshot

__all__ = ["StatsFeed"]


class StatsFeed:
    def __init__(self, engine: MetricsEngine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self._clock = clock

    def replay(self, events: Iterable[Event]) -> None:
        """Rebuild from the stored log (at start): nobody watches history change."""
        for event in events:
            self.engine.apply(event)
        self.engine.changes()

    def fold(self, events: Sequence[Event]) -> None:
        """Fold a published batch (the engine keeps what it changed until the console asks)."""
        apply = self.engine.apply
        for event in events:
            apply(event)

    def snapshot(self) -> Snapshot:
        """The whole day so far, every queue and agent."""
        return self.engine.snapshot(self._clock())
