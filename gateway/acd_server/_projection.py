"""Read models folded from the routing event stream: interaction records and per-queue statistics.

Both are pure folds over `Event`s, so the same code serves live updates and a rebuild from the log.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from gateway.acd import Event, EventType
from gateway.storage import InteractionRecord

__all__ = ["InteractionProjection", "QueueStats", "StatsProjection"]


def _ts(at: float) -> datetime:
    return datetime.fromtimestamp(at, tz=UTC)


def _text(event: Event, key: str) -> str | None:
    value = event.data.get(key)
    return value if isinstance(value, str) else None


class InteractionProjection:
    """Keeps each live interaction's database record up to date as events arrive."""

    def __init__(self) -> None:
        self._records: dict[str, InteractionRecord] = {}
        self._enqueued: dict[str, float] = {}

    def apply(self, event: Event) -> InteractionRecord | None:
        """Fold one event; return the record that changed (to be saved), if any."""
        iid = event.interaction_id
        if iid is None:
            return None
        if event.type is EventType.RECEIVED:
            return self._received(iid, event)
        record = self._records.get(iid)
        if record is None:
            return None
        updated = self._update(record, event)
        if updated.ended_at is not None:
            self._records.pop(iid, None)
            self._enqueued.pop(iid, None)
        else:
            self._records[iid] = updated
        return updated if updated != record else None

    def _received(self, iid: str, event: Event) -> InteractionRecord:
        attrs = event.data.get("attributes")
        priority = event.data.get("priority")
        enqueue = event.data.get("enqueue_time")
        self._enqueued[iid] = float(enqueue) if isinstance(enqueue, int | float) else event.at
        record = InteractionRecord(
            id=iid,
            channel=_text(event, "channel") or "voice",
            queue_id=_text(event, "queue") or "",
            created_at=_ts(event.at),
            customer_ref=_text(event, "customer_ref"),
            priority=priority if isinstance(priority, int) else 0,
            attributes=dict(attrs) if isinstance(attrs, dict) else {},
        )
        self._records[iid] = record
        return record

    def _wait(self, iid: str, at: float) -> float:
        return max(0.0, at - self._enqueued.get(iid, at))

    def _update(self, record: InteractionRecord, event: Event) -> InteractionRecord:
        at, kind = _ts(event.at), event.type
        if kind is EventType.QUEUED:
            queue = _text(event, "queue") or record.queue_id
            return replace(record, queue_id=queue, queued_at=record.queued_at or at)
        if kind is EventType.OVERFLOWED:
            return replace(record, queue_id=_text(event, "to") or record.queue_id)
        if kind is EventType.OFFERED:
            return replace(record, offered_at=record.offered_at or at)
        if kind is EventType.ASSIGNED:
            return replace(
                record, answered_at=at, agent_id=event.agent_id, wait_seconds=self._wait(record.id, event.at)
            )
        if kind is EventType.ABANDONED:
            return replace(
                record, ended_at=at, outcome="abandoned", wait_seconds=self._wait(record.id, event.at)
            )
        if kind in (EventType.EXITED, EventType.REFUSED):
            outcome = _text(event, "kind") or _text(event, "reason") or str(kind)
            return replace(record, ended_at=at, outcome=outcome, wait_seconds=self._wait(record.id, event.at))
        if kind is EventType.ENDED:
            return replace(record, ended_at=at, outcome=_text(event, "reason") or "completed")
        return record


@dataclass(slots=True)
class QueueStats:
    entered: int = 0
    answered: int = 0
    answered_within_threshold: int = 0
    abandoned: int = 0
    exited: int = 0
    answer_wait_total: float = 0.0
    handle_total: float = 0.0
    handled: int = 0


@dataclass(slots=True)
class _Live:
    queue: str
    enqueued: float
    assigned_at: float | None = None


@dataclass(slots=True)
class StatsProjection:
    """Service level, ASA, AHT and abandonment per queue since the event log began."""

    thresholds: dict[str, float]
    queues: dict[str, QueueStats] = field(default_factory=dict)
    _live: dict[str, _Live] = field(default_factory=dict)

    def stats(self, queue: str) -> QueueStats:
        return self.queues.setdefault(queue, QueueStats())

    def apply(self, event: Event) -> None:
        iid = event.interaction_id
        if iid is None:
            return
        if event.type is EventType.RECEIVED:
            enqueue = event.data.get("enqueue_time")
            self._live[iid] = _Live(
                queue=_text(event, "queue") or "",
                enqueued=float(enqueue) if isinstance(enqueue, int | float) else event.at,
            )
            return
        live = self._live.get(iid)
        if live is None:
            return
        self._follow(live, iid, event)

    def _follow(self, live: _Live, iid: str, event: Event) -> None:
        kind = event.type
        if kind is EventType.QUEUED:
            live.queue = _text(event, "queue") or live.queue
            self.stats(live.queue).entered += 1
        elif kind is EventType.OVERFLOWED:
            live.queue = _text(event, "to") or live.queue
        elif kind is EventType.ASSIGNED:
            stats, wait = self.stats(live.queue), max(0.0, event.at - live.enqueued)
            stats.answered += 1
            stats.answer_wait_total += wait
            stats.answered_within_threshold += wait <= self.thresholds.get(live.queue, 20.0)
            live.assigned_at = event.at
        elif kind is EventType.ABANDONED:
            self.stats(live.queue).abandoned += 1
            del self._live[iid]
        elif kind is EventType.EXITED:
            self.stats(live.queue).exited += 1
            del self._live[iid]
        elif kind is EventType.ENDED:
            if live.assigned_at is not None:
                stats = self.stats(live.queue)
                stats.handled += 1
                stats.handle_total += max(0.0, event.at - live.assigned_at)
            del self._live[iid]
