"""The routing event log: batches go in once, come back in sequence, replays change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from gateway.storage import Database, EventRecord, StorageError

NINE_AM = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def _event(seq: int, type_: str = "interaction.queued", **payload: object) -> EventRecord:
    return EventRecord(
        seq=seq,
        type=type_,
        at=NINE_AM + timedelta(seconds=seq),
        interaction_id=f"call-{seq}",
        agent_id="alice" if seq % 2 else None,
        payload={"queue": "support", **payload},
    )


async def test_given_empty_log_then_last_seq_is_zero_and_nothing_is_returned(database: Database) -> None:
    assert await database.last_event_seq() == 0
    assert await database.events_since() == []


async def test_given_appended_batch_when_read_since_zero_then_events_come_back_equal_in_seq_order(
    database: Database,
) -> None:
    events = [_event(3, skills={"billing": 5}), _event(1), _event(2, "offer.accepted", nested=[1, "a", None])]

    await database.append_events(events)

    assert await database.events_since() == sorted(events, key=lambda e: e.seq)
    assert await database.last_event_seq() == 3


async def test_given_events_when_read_since_a_seq_with_limit_then_only_later_ones_up_to_limit(
    database: Database,
) -> None:
    await database.append_events([_event(seq) for seq in range(1, 11)])

    page = await database.events_since(4, limit=3)

    assert [event.seq for event in page] == [5, 6, 7]


async def test_given_stored_events_when_replayed_then_nothing_changes(database: Database) -> None:
    original = [_event(1), _event(2)]
    await database.append_events(original)

    await database.append_events([_event(2, "changed.on.replay"), _event(1), _event(3)])

    stored = await database.events_since()
    assert stored[:2] == original
    assert [event.seq for event in stored] == [1, 2, 3]


async def test_given_event_at_non_utc_offset_when_read_then_same_instant_in_utc(database: Database) -> None:
    paris = timezone(timedelta(hours=2))
    event = EventRecord(seq=1, type="agent.state", at=datetime(2024, 5, 1, 11, 0, tzinfo=paris))

    await database.append_events([event])

    (stored,) = await database.events_since()
    assert stored.at == NINE_AM
    assert stored.at.utcoffset() == timedelta(0)


async def test_given_payload_that_is_not_json_when_appended_then_storage_error_and_nothing_stored(
    database: Database,
) -> None:
    with pytest.raises(StorageError):
        await database.append_events([_event(1), _event(2, when=NINE_AM)])

    assert await database.events_since() == []


def test_given_naive_time_or_zero_seq_when_event_is_built_then_value_error_names_field() -> None:
    with pytest.raises(ValueError, match="at must be timezone-aware"):
        EventRecord(seq=1, type="x", at=datetime(2024, 5, 1, 9, 0))
    with pytest.raises(ValueError, match="seq must be >= 1"):
        EventRecord(seq=0, type="x", at=NINE_AM)
