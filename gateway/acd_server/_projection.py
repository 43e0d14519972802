"""A read model folded from the routing event stream: interaction records (statistics come from the
one metrics engine, `gateway.analytics`).

It is a pure fold over `Event`s, so the same code serves live updates and a rebuild from the log.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from gateway.acd import Event, EventType, ExitKind
from gateway.storage import InteractionRecord

__all__ = ["InteractionProjection"]


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
            outcome = exit_outcome(event) or str(kind)
            return replace(record, ended_at=at, outcome=outcome, wait_seconds=self._wait(record.id, event.at))
        if kind is EventType.ENDED:
            return replace(record, ended_at=at, outcome=_text(event, "reason") or "completed")
        return record


def exit_outcome(event: Event) -> str | None:
    """The exit taken (voicemail, callback); for a disconnect or a refusal, why: `closed`, `max_wait`,
    `queue_full`, `media_worker_lost` (a call lost with its worker said `disconnect` like a timed-out one)."""
    exit_kind, reason = _text(event, "kind"), _text(event, "reason")
    return reason if exit_kind in (None, str(ExitKind.DISCONNECT)) and reason else exit_kind
