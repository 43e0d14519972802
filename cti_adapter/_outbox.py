"""The durable outbox: CRM writes and webhooks stored in the database, delivered in order until they land.

At-least-once: an entry is marked delivered only after the receiver said yes, so a crash between the two
sends it again; every send carries the entry's key as `Idempotency-Key` so the receiver can drop the repeat.
Delivered entries are purged once older than a retention; dead ones are kept for inspection.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from cti_adapter.builtin._db import Clock, EngineSource, outbox, transaction, utc_now

__all__ = ["Backoff", "EntryStatus", "Lane", "Outbox", "OutboxEntry"]


class Lane(StrEnum):
    """Entries of one lane are delivered one after another, in the order they were written."""

    CRM = "crm"
    WEBHOOK = "webhook"


class EntryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"  # refused for good by the receiver; kept with the reason, never retried


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    id: int
    key: str
    lane: Lane
    kind: str
    payload: Mapping[str, Any]
    status: EntryStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    case_key: str | None = None
    result_id: str | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential retry delays: `first`, then doubling, never above `cap` (seconds)."""

    first: float = 0.5
    cap: float = 60.0
    factor: float = 2.0

    def __post_init__(self) -> None:
        if self.first <= 0:
            raise ValueError(f"backoff: first must be > 0, got {self.first}")
        if self.cap < self.first:
            raise ValueError(f"backoff: cap ({self.cap}) must be >= first ({self.first})")
        if self.factor < 1:
            raise ValueError(f"backoff: factor must be >= 1, got {self.factor}")

    def delay(self, failures: int) -> float:
        """The wait after the `failures`-th failed attempt in a row (1 for the first)."""
        if failures < 1:
            return 0.0
        # Capping the exponent first keeps huge failure counts from overflowing the float.
        return min(self.first * self.factor ** min(failures - 1, 64), self.cap)


class Outbox:
    """The `crm_outbox` table: enqueue, the head of a lane, and the outcome of each attempt."""

    def __init__(self, engine: EngineSource, *, clock: Clock = utc_now) -> None:
        self._engine = engine
        self._clock = clock

    async def enqueue(
        self,
        lane: Lane,
        kind: str,
        payload: Mapping[str, Any],
        *,
        key: str | None = None,
        case_key: str | None = None,
    ) -> OutboxEntry:
        """Store an entry, due now. Enqueueing a key that exists returns the stored entry unchanged."""
        key = key or uuid.uuid4().hex
        now = self._clock()
        try:
            async with transaction(self._engine) as connection:
                await connection.execute(
                    outbox.insert().values(
                        key=key,
                        lane=lane.value,
                        kind=kind,
                        payload=dict(payload),
                        case_key=case_key,
                        status=EntryStatus.PENDING.value,
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
        except IntegrityError:
            pass  # the same key was enqueued before: the first write stands
        entry = await self.get(key)
        assert entry is not None
        return entry

    async def get(self, key: str) -> OutboxEntry | None:
        async with transaction(self._engine) as connection:
            row = (await connection.execute(select(outbox).where(outbox.c.key == key))).one_or_none()
        return None if row is None else _entry(row)

    async def head(self, lane: Lane) -> OutboxEntry | None:
        """The oldest pending entry of the lane, due or not."""
        query = (
            select(outbox)
            .where(outbox.c.lane == lane.value, outbox.c.status == EntryStatus.PENDING.value)
            .order_by(outbox.c.id)
            .limit(1)
        )
        async with transaction(self._engine) as connection:
            row = (await connection.execute(query)).one_or_none()
        return None if row is None else _entry(row)

    async def pending(self, lane: Lane | None = None) -> int:
        query = select(func.count()).select_from(outbox).where(outbox.c.status == EntryStatus.PENDING.value)
        if lane is not None:
            query = query.where(outbox.c.lane == lane.value)
        async with transaction(self._engine) as connection:
            return int(await connection.scalar(query) or 0)

    async def mark_delivered(self, entry: OutboxEntry, result_id: str | None) -> None:
        await self._set(
            entry,
            status=EntryStatus.DELIVERED.value,
            attempts=entry.attempts + 1,
            result_id=result_id,
            delivered_at=self._clock(),
            last_error=None,
        )

    async def mark_failed(self, entry: OutboxEntry, error: str, retry_in: float) -> OutboxEntry:
        """Count a failed attempt and make the entry due again `retry_in` seconds from now."""
        next_at = self._clock() + timedelta(seconds=retry_in)
        await self._set(entry, attempts=entry.attempts + 1, next_attempt_at=next_at, last_error=error)
        updated = await self.get(entry.key)
        assert updated is not None
        return updated

    async def mark_dead(self, entry: OutboxEntry, error: str) -> None:
        await self._set(entry, status=EntryStatus.DEAD.value, attempts=entry.attempts + 1, last_error=error)

    async def purge_delivered(self, older_than: timedelta) -> int:
        """Delete the entries delivered more than `older_than` ago; how many went. Pending and dead entries
        stay, and so does a delivered case a pending entry still needs the id of (see `case_key`)."""
        c = outbox.c
        needed = select(c.case_key).where(c.status == EntryStatus.PENDING.value, c.case_key.is_not(None))
        query = delete(outbox).where(
            c.status == EntryStatus.DELIVERED.value,
            c.delivered_at < self._clock() - older_than,
            c.key.not_in(needed),
        )
        async with transaction(self._engine) as connection:
            result = await connection.execute(query)
        return int(result.rowcount or 0)

    async def _set(self, entry: OutboxEntry, **values: Any) -> None:
        async with transaction(self._engine) as connection:
            await connection.execute(update(outbox).where(outbox.c.id == entry.id).values(**values))


def _entry(row: Row[Any]) -> OutboxEntry:
    return OutboxEntry(
        id=row.id,
        key=row.key,
        lane=Lane(row.lane),
        kind=row.kind,
        payload=row.payload,
        status=EntryStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        case_key=row.case_key,
        result_id=row.result_id,
        last_error=row.last_error,
    )
