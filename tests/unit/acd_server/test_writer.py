"""The routing event writer: batches stored in order, off the offer path, heard by subscribers after."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.acd import Event, EventType
from gateway.acd_server._writer import EventWriter, PresenceRow
from gateway.storage import Database, DatabaseUnavailable, InteractionRecord

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _event(seq: int, kind: EventType = EventType.QUEUED, iid: str | None = "i1") -> Event:
    return Event(seq=seq, type=kind, at=T0.timestamp() + seq, interaction_id=iid)


def _record(outcome: str | None = None) -> InteractionRecord:
    return InteractionRecord(id="i1", channel="chat", queue_id="q", created_at=T0, outcome=outcome)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'helpline.db'}", connect_timeout=5)
    await db.start()
    yield db
    await db.close()


async def test_given_batches_queued_during_a_write_when_stored_then_in_order_and_heard_after_storing(
    database: Database,
) -> None:
    writer = EventWriter(database)
    heard: list[tuple[list[int], int]] = []

    async def listener(events: Sequence[Event]) -> None:
        heard.append(([e.seq for e in events], len(await database.events_since(0))))

    writer.subscribe(listener)
    writer.start(0)
    writer.put([_event(1, EventType.RECEIVED)], [_record()], [])
    writer.put([_event(2), _event(3)], [_record()], [])
    writer.put([_event(4, EventType.ENDED)], [_record("completed")], [])

    await writer.caught_up()

    assert [r.seq for r in await database.events_since(0)] == [1, 2, 3, 4]
    stored = await database.get_interaction("i1")
    assert stored is not None and stored.outcome == "completed"  # the latest version wins
    await writer.stop()
    assert [seqs for seqs, _ in heard] == [[1], [2, 3], [4]]
    assert all(count >= seqs[-1] for seqs, count in heard)  # each batch was stored before it was heard


async def test_given_a_presence_older_than_the_open_span_when_written_then_it_is_skipped_and_writing_goes_on(
    database: Database,
) -> None:
    writer = EventWriter(database)
    writer.start(0)
    later, earlier = T0.replace(hour=10), T0.replace(hour=9)
    change = EventType.PRESENCE_CHANGED
    writer.put([_event(1, change, None)], [], [PresenceRow("a", "available", None, later)])
    writer.put([_event(2, change, None)], [], [PresenceRow("a", "offline", None, earlier)])
    lunch = later.replace(minute=5)
    writer.put([_event(3, change, None)], [], [PresenceRow("a", "not_ready", "lunch", lunch)])

    await writer.stored(3)
    await writer.stop()

    spans = await database.presence_history("a")
    assert [(s.state, s.reason) for s in spans] == [("available", None), ("not_ready", "lunch")]


async def test_given_a_database_not_up_yet_when_events_are_put_then_they_are_stored_once_it_is(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'late.db'}", connect_timeout=5)
    writer = EventWriter(db, retry_first_seconds=0.01, retry_max_seconds=0.05)
    writer.start(0)
    writer.put([_event(1, EventType.RECEIVED)], [_record()], [])
    waiting = asyncio.create_task(writer.stored(1))
    await asyncio.sleep(0.1)
    assert not waiting.done()  # failed attempts are retried, not dropped

    await db.start()

    await asyncio.wait_for(waiting, 5)
    assert [r.seq for r in await db.events_since(0)] == [1]
    await writer.stop()
    await db.close()


async def test_given_a_database_down_past_the_patience_when_read_then_it_is_said_and_nothing_is_lost(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'down.db'}", connect_timeout=5)
    writer = EventWriter(db, retry_first_seconds=0.01, retry_max_seconds=0.05, patience_seconds=0.2)
    writer.start(0)
    writer.put([_event(1, EventType.RECEIVED)], [_record()], [])

    with pytest.raises(DatabaseUnavailable, match=r"routing events up to #1 are not stored after 0.2 s"):
        await writer.caught_up()

    await db.start()
    await writer.caught_up()
    assert [r.seq for r in await db.events_since(0)] == [1]
    await writer.stop()
    await db.close()
