"""Interactions: saved and updated by id, listed by agent, queue and time, page by page."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from gateway.storage import Database, InteractionRecord

NINE_AM = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def _interaction(number: int, *, queue_id: str = "support", agent_id: str | None = None) -> InteractionRecord:
    created = NINE_AM + timedelta(minutes=number)
    return InteractionRecord(
        id=f"call-{number}",
        channel="voice",
        queue_id=queue_id,
        created_at=created,
        customer_ref=f"cust-{number}",
        priority=number % 3,
        attributes={"language": "en", "ivr": {"menu": "billing"}},
        queued_at=created + timedelta(seconds=5),
        agent_id=agent_id,
    )


async def test_given_no_interaction_when_fetched_then_none(database: Database) -> None:
    assert await database.get_interaction("call-404") is None


async def test_given_saved_interaction_when_fetched_then_equal(database: Database) -> None:
    record = _interaction(1)

    await database.save_interaction(record)

    assert await database.get_interaction("call-1") == record


async def test_given_saved_interaction_when_saved_again_answered_and_ended_then_stored_row_is_replaced(
    database: Database,
) -> None:
    queued = _interaction(1)
    await database.save_interaction(queued)
    assert queued.queued_at is not None
    ended = dataclasses.replace(
        queued,
        offered_at=queued.queued_at + timedelta(seconds=10),
        answered_at=queued.queued_at + timedelta(seconds=14),
        ended_at=queued.queued_at + timedelta(minutes=3),
        outcome="completed",
        agent_id="alice",
        wait_seconds=14.0,
        attributes={"language": "en", "disposition": "billing-question"},
    )

    await database.save_interaction(ended)

    assert await database.get_interaction("call-1") == ended
    assert await database.list_interactions() == [ended]


async def test_given_interactions_when_listed_by_agent_queue_and_since_then_only_matching_oldest_first(
    database: Database,
) -> None:
    records = [
        _interaction(4, agent_id="alice"),
        _interaction(1, agent_id="alice"),
        _interaction(2, agent_id="bob"),
        _interaction(3, queue_id="sales", agent_id="alice"),
        _interaction(5),
    ]
    for record in records:
        await database.save_interaction(record)

    by_alice = await database.list_interactions(agent_id="alice")
    in_support = await database.list_interactions(queue_id="support")
    alice_in_support_recent = await database.list_interactions(
        agent_id="alice", queue_id="support", since=NINE_AM + timedelta(minutes=2)
    )

    assert [r.id for r in by_alice] == ["call-1", "call-3", "call-4"]
    assert [r.id for r in in_support] == ["call-1", "call-2", "call-4", "call-5"]
    assert [r.id for r in alice_in_support_recent] == ["call-4"]


async def test_given_many_interactions_when_paged_then_pages_do_not_overlap(database: Database) -> None:
    for number in range(7):
        await database.save_interaction(_interaction(number))

    pages = [await database.list_interactions(limit=3, offset=offset) for offset in (0, 3, 6)]

    assert [[r.id for r in page] for page in pages] == [
        ["call-0", "call-1", "call-2"],
        ["call-3", "call-4", "call-5"],
        ["call-6"],
    ]


async def test_given_bad_paging_or_naive_since_when_listed_then_value_error(database: Database) -> None:
    with pytest.raises(ValueError, match="limit"):
        await database.list_interactions(limit=-1)
    with pytest.raises(ValueError, match="offset"):
        await database.list_interactions(offset=-5)
    with pytest.raises(ValueError, match="since must be timezone-aware"):
        await database.list_interactions(since=datetime(2024, 5, 1))


def test_given_naive_timestamp_when_interaction_is_built_then_value_error_names_field() -> None:
    with pytest.raises(ValueError, match="interaction 'call-1': answered_at must be timezone-aware"):
        dataclasses.replace(_interaction(1), answered_at=datetime(2024, 5, 1, 9, 3))
