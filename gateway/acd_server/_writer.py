"""Stores routing events, and what was folded from them, after they have gone out to the sockets.

The offer path never waits for the database: batches queue up in order while a write is in flight and
are stored together (one insert for their events, one upsert per changed interaction, presence spans in
order). Subscribers hear each batch in order once it is stored; commands wait with `stored(seq)`.

A database that is down is retried with back-off and nothing is lost. A batch the database refuses for
its data (a value too long, out of range) is stored again one write at a time: each refused write is
kept as a dead letter with the error, logged once and counted, and the writer moves on.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from gateway.acd import Event
from gateway.acd_server.port import EventListener
from gateway.storage import (
    Database,
    DatabaseUnavailable,
    DeadLetter,
    EventRecord,
    InteractionRecord,
    RejectedData,
)

__all__ = ["DeadLetterListener", "EventWriter", "PresenceRow"]

DeadLetterListener = Callable[[DeadLetter], None]
"""Told of each write newly kept as a dead letter (the composition root counts them in metrics)."""

logger = logging.getLogger("helpline.acd")


@dataclass(frozen=True, slots=True)
class PresenceRow:
    agent_id: str
    state: str
    reason: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class _Batch:
    events: tuple[Event, ...]
    records: tuple[InteractionRecord, ...]
    presence: tuple[PresenceRow, ...]


def event_record(event: Event) -> EventRecord:
    return EventRecord(
        seq=event.seq,
        type=str(event.type),
        at=datetime.fromtimestamp(event.at, tz=UTC),
        interaction_id=event.interaction_id,
        agent_id=event.agent_id,
        payload=dict(event.data),
    )


class EventWriter:
    def __init__(
        self,
        database: Database,
        *,
        retry_first_seconds: float = 0.1,
        retry_max_seconds: float = 5.0,
        patience_seconds: float = 10.0,
        on_dead_letter: DeadLetterListener | None = None,
    ) -> None:
        if not 0 < retry_first_seconds <= retry_max_seconds:
            raise ValueError("event writer: need 0 < retry_first_seconds <= retry_max_seconds")
        if patience_seconds <= 0:
            raise ValueError("event writer: patience_seconds must be > 0")
        self._db = database
        self._on_dead_letter = on_dead_letter
        self._patience = patience_seconds
        self._retry = (retry_first_seconds, retry_max_seconds)
        self._queue: list[_Batch] = []
        self._wake = asyncio.Event()
        self._stored_seq = self._queued_seq = 0
        self._stored = asyncio.Condition()
        self._heard: asyncio.Queue[tuple[Event, ...]] = asyncio.Queue()
        self._listeners: list[EventListener] = []
        self._closing = False
        self._writer: asyncio.Task[None] | None = None
        self._teller: asyncio.Task[None] | None = None

    def subscribe(self, listener: EventListener) -> None:
        self._listeners.append(listener)

    def start(self, stored_seq: int) -> None:
        self._stored_seq = self._queued_seq = stored_seq
        self._writer = asyncio.create_task(self._write_loop(), name="helpline.routing.writer")
        self._teller = asyncio.create_task(self._tell_loop(), name="helpline.routing.listeners")

    def put(
        self, events: Sequence[Event], records: Sequence[InteractionRecord], presence: Sequence[PresenceRow]
    ) -> None:
        """Queue one batch for storing; returns at once."""
        self._queue.append(_Batch(tuple(events), tuple(records), tuple(presence)))
        self._queued_seq = max(self._queued_seq, events[-1].seq)
        self._wake.set()

    async def stored(self, seq: int) -> None:
        """Until every event up to `seq` is in the database.

        Raises DatabaseUnavailable when that takes longer than the writer's patience; the events stay
        queued and are still written once the database answers.
        """
        try:
            async with asyncio.timeout(self._patience), self._stored:
                await self._stored.wait_for(lambda: self._stored_seq >= seq)
        except TimeoutError:
            raise DatabaseUnavailable(
                self._db.url,
                f"routing events up to #{seq} are not stored after {self._patience:g} s "
                f"(stored up to #{self._stored_seq}; the rest are kept and retried)",
            ) from None

    async def caught_up(self) -> None:
        """Until every batch put so far is in the database."""
        await self.stored(self._queued_seq)

    async def stop(self, *, within: float = 10.0) -> None:
        """Store what is queued and let the subscribers hear it, then stop (bounded by `within`)."""
        self._closing = True
        self._wake.set()
        try:
            async with asyncio.timeout(within):
                if self._writer is not None:
                    await asyncio.shield(self._writer)
                await self._heard.join()
        except TimeoutError:
            logger.error("routing events left unstored or unheard at shutdown: %d batches", len(self._queue))
        for task in (self._writer, self._teller):
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task

    async def _write_loop(self) -> None:
        while self._queue or not self._closing:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            batches, self._queue = self._queue, []
            await self._write_retrying(batches)
            async with self._stored:
                self._stored_seq = max(self._stored_seq, batches[-1].events[-1].seq)
                self._stored.notify_all()
            for batch in batches:
                self._heard.put_nowait(batch.events)

    async def _write_retrying(self, batches: list[_Batch]) -> None:
        delay = self._retry[0]
        write = self._write
        while True:
            try:
                await write(batches)
                return
            except RejectedData as exc:
                if write != self._write_one_by_one:
                    logger.warning(
                        "routing batches refused for their data (%s); storing them one by one", exc
                    )
                    write = self._write_one_by_one
                    continue
                logger.exception("storing routing batches one by one failed; retrying in %.1f s", delay)
            except Exception:
                logger.exception("storing %d routing batches failed; retrying in %.1f s", len(batches), delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._retry[1])

    async def _write(self, batches: list[_Batch]) -> None:
        # Every step is idempotent (events skip a stored seq, interactions are upserts), so a retry is safe.
        await self._db.append_events([event_record(e) for b in batches for e in b.events])
        for record in _latest(batches):
            await self._db.save_interaction(record)
        for row in (row for b in batches for row in b.presence):
            await self._save_presence(row)

    async def _write_one_by_one(self, batches: list[_Batch]) -> None:
        """Store each write alone, a refused one kept as a dead letter; DatabaseUnavailable still raises."""
        for event in (e for b in batches for e in b.events):
            record = event_record(event)
            await self._isolated("event", str(event.seq), record, partial(self._db.append_events, [record]))
        for interaction in _latest(batches):
            save = partial(self._db.save_interaction, interaction)
            await self._isolated("interaction", interaction.id, interaction, save)
        for row in (row for b in batches for row in b.presence):
            await self._isolated("presence", row.agent_id, row, partial(self._save_presence, row))

    async def _save_presence(self, row: PresenceRow) -> None:
        try:
            await self._db.record_presence(row.agent_id, row.state, row.reason, row.at)
        except ValueError as exc:  # older than the open span: already stored by an earlier try
            logger.warning("presence of %s not recorded: %s", row.agent_id, exc)

    async def _isolated(self, kind: str, ref: str, value: Any, store: Callable[[], Awaitable[None]]) -> None:
        try:
            await store()
        except RejectedData as exc:
            letter = DeadLetter(kind, ref, _as_json(value), exc.reason, datetime.now(UTC))
        else:
            return
        try:
            added = await self._db.add_dead_letter(letter)
        except RejectedData:  # never expected (the letter is ASCII text); it must not jam the writer either
            logger.exception("routing %s %s refused, and its dead letter too; dropped: %s", kind, ref, letter)
            return
        if added:
            logger.error(
                "routing %s %s refused by the database, kept as a dead letter: %s", kind, ref, letter.error
            )
            if self._on_dead_letter is not None:
                self._on_dead_letter(letter)

    async def _tell_loop(self) -> None:
        while True:
            events = await self._heard.get()
            try:
                for listener in self._listeners:
                    try:
                        await listener(events)
                    except Exception:
                        logger.exception("routing event listener %r failed", listener)
            finally:
                self._heard.task_done()


def _latest(batches: list[_Batch]) -> list[InteractionRecord]:
    return list({r.id: r for b in batches for r in b.records}.values())


def _as_json(value: Any) -> str:
    # ASCII with escapes: whatever the refused value holds, its dead letter can be stored and read.
    return json.dumps(dataclasses.asdict(value), default=str, ensure_ascii=True, sort_keys=True)
