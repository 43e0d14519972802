"""A write the database refuses for its data is kept as a dead letter and the writer moves on.

On SQLite and on PostgreSQL: the refused write never jams the events after it, and reads keep working.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from gateway.acd import Event, EventType, NewInteraction
from gateway.acd_server import AcdServer
from gateway.acd_server._writer import EventWriter
from gateway.config import parse_config
from gateway.metrics import Metrics
from gateway.storage import Database, DeadLetter, InteractionRecord
from tests.unit.storage.conftest import fresh_postgres_database

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TOO_BIG = 2**64  # past what an INTEGER column holds on either backend
CONFIG = """
users:
  - {id: alice, name: Alice, role: agent, password_hash: "$argon2id$test", skills: {support: 8}}
skills: [{id: support}]
queues:
  - {id: support, name: Support, skills: [{skill: support}]}
"""


@pytest.fixture(params=[pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'helpline.db'}", connect_timeout=5)
        await db.start()
        yield db
        await db.close()
        return
    async with fresh_postgres_database() as url:
        db = Database(url, connect_timeout=5)
        await db.start()
        yield db
        await db.close()


def _event(seq: int, iid: str, kind: EventType = EventType.QUEUED, **data: object) -> Event:
    return Event(seq=seq, type=kind, at=T0.timestamp() + seq, interaction_id=iid, data=data)


def _record(iid: str, *, priority: int = 0, customer_ref: str | None = None) -> InteractionRecord:
    return InteractionRecord(
        id=iid, channel="chat", queue_id="q", created_at=T0, priority=priority, customer_ref=customer_ref
    )


async def test_given_a_refused_interaction_in_a_batch_when_written_then_it_is_dead_lettered_the_rest_stored(
    database: Database,
) -> None:
    told: list[DeadLetter] = []
    writer = EventWriter(database, patience_seconds=30, on_dead_letter=told.append)
    writer.start(0)
    writer.put(
        [_event(1, "good", EventType.RECEIVED), _event(2, "bad", EventType.RECEIVED)],
        [_record("good"), _record("bad", priority=TOO_BIG)],
        [],
    )
    writer.put([_event(3, "later", EventType.RECEIVED)], [_record("later")], [])

    await writer.stored(3)  # raises DatabaseUnavailable if the refused write jammed the writer

    assert [r.seq for r in await database.events_since(0)] == [1, 2, 3]
    assert await database.get_interaction("good") is not None
    assert await database.get_interaction("later") is not None
    assert await database.get_interaction("bad") is None
    letters = await database.dead_letters()
    assert [(d.kind, d.ref) for d in letters] == [("interaction", "bad")]
    assert str(TOO_BIG) in letters[0].payload
    assert letters[0].error  # the database's reason
    assert told == letters
    await writer.stop()


async def test_given_an_event_the_database_refuses_when_written_then_only_that_event_is_a_dead_letter(
    database: Database,
) -> None:
    writer = EventWriter(database, patience_seconds=30)
    writer.start(0)
    writer.put([_event(1, "a", EventType.RECEIVED, blob=b"\x00not json")], [_record("a")], [])
    writer.put([_event(2, "a")], [_record("a")], [])

    await writer.stored(2)

    letters = await database.dead_letters()
    assert [(d.kind, d.ref) for d in letters] == [("event", "1")]
    assert "not JSON serializable" in letters[0].error
    assert [r.seq for r in await database.events_since(0)] == [2]
    assert await database.get_interaction("a") is not None
    await writer.stop()


async def test_given_the_same_refused_write_twice_when_written_then_it_is_kept_and_told_once(
    database: Database,
) -> None:
    told: list[DeadLetter] = []
    writer = EventWriter(database, patience_seconds=30, on_dead_letter=told.append)
    writer.start(0)
    bad = _record("bad", priority=TOO_BIG)
    writer.put([_event(1, "bad", EventType.RECEIVED)], [bad], [])
    await writer.stored(1)
    writer.put([_event(2, "bad")], [bad], [])
    await writer.stored(2)

    assert [(d.kind, d.ref) for d in await database.dead_letters()] == [("interaction", "bad")]
    assert len(told) == 1
    await writer.stop()


@pytest.mark.postgres
async def test_given_postgresql_when_an_overlong_customer_ref_skips_the_edge_then_it_is_a_dead_letter() -> (
    None
):
    """The issue's case: 129-200 characters in a 128-character column made the writer retry forever."""
    async with fresh_postgres_database() as url:
        database = Database(url, connect_timeout=5)
        await database.start()
        metrics = Metrics()
        hub = AcdServer(config=parse_config(yaml.safe_load(CONFIG)), database=database, metrics=metrics)
        await hub.start()
        try:
            poisoned = NewInteraction(id="poisoned", queue="support", customer_ref="c" * 200)
            await hub.enqueue(poisoned)
            await hub.enqueue(NewInteraction(id="next", queue="support", customer_ref="c" * 128))
            await hub.caught_up()  # raises DatabaseUnavailable after 10 s when the writer is jammed

            stored = await database.get_interaction("next")
            assert stored is not None and stored.customer_ref == "c" * 128
            letters = await database.dead_letters()
            assert {(d.kind, d.ref) for d in letters} == {("interaction", "poisoned")}
            assert "value too long" in letters[0].error
            count = metrics.registry.get_sample_value(
                "helpline_storage_dead_letters_total", {"kind": "interaction"}
            )
            assert count == len(letters)
        finally:
            await hub.stop()
            await database.close()
