"""Agent presence history: each change closes the open span and opens the next one."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from gateway.storage import Database, PresenceSpan

NINE_AM = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def _at(minutes: int) -> datetime:
    return NINE_AM + timedelta(minutes=minutes)


async def test_given_state_changes_then_history_is_contiguous_spans_with_the_last_open(
    database: Database,
) -> None:
    await database.record_presence("alice", "available", None, _at(0))
    await database.record_presence("alice", "not_ready", "lunch", _at(30))
    await database.record_presence("bob", "available", None, _at(5))
    await database.record_presence("alice", "available", None, _at(75))

    history = await database.presence_history("alice")

    assert history == [
        PresenceSpan("alice", "available", None, _at(0), _at(30)),
        PresenceSpan("alice", "not_ready", "lunch", _at(30), _at(75)),
        PresenceSpan("alice", "available", None, _at(75), None),
    ]
    assert await database.presence_history("bob") == [PresenceSpan("bob", "available", None, _at(5), None)]


async def test_given_history_when_read_since_then_spans_still_running_at_that_time_are_included(
    database: Database,
) -> None:
    await database.record_presence("alice", "available", None, _at(0))
    await database.record_presence("alice", "not_ready", "training", _at(10))
    await database.record_presence("alice", "wrap_up", None, _at(20))

    history = await database.presence_history("alice", since=_at(15))

    assert [(span.state, span.at) for span in history] == [("not_ready", _at(10)), ("wrap_up", _at(20))]


async def test_given_open_span_when_same_state_and_reason_recorded_again_then_nothing_changes(
    database: Database,
) -> None:
    await database.record_presence("alice", "not_ready", "lunch", _at(0))

    returned = await database.record_presence("alice", "not_ready", "lunch", _at(5))

    assert returned == PresenceSpan("alice", "not_ready", "lunch", _at(0), None)
    assert await database.presence_history("alice") == [returned]


async def test_given_not_ready_when_reason_changes_then_a_new_span_starts(database: Database) -> None:
    await database.record_presence("alice", "not_ready", "lunch", _at(0))

    await database.record_presence("alice", "not_ready", "meeting", _at(40))

    assert [(s.reason, s.ended_at) for s in await database.presence_history("alice")] == [
        ("lunch", _at(40)),
        ("meeting", None),
    ]


async def test_given_open_span_when_change_is_dated_before_it_then_value_error_and_history_unchanged(
    database: Database,
) -> None:
    await database.record_presence("alice", "available", None, _at(10))

    with pytest.raises(ValueError, match="before the open 'available' span"):
        await database.record_presence("alice", "offline", None, _at(5))

    assert await database.presence_history("alice") == [PresenceSpan("alice", "available", None, _at(10))]


async def test_given_many_concurrent_changes_when_recorded_then_one_span_is_open_and_spans_chain(
    database: Database,
) -> None:
    states = [("available", None), ("not_ready", "lunch"), ("available", None), ("not_ready", "meeting")] * 5
    results = await asyncio.gather(
        *(
            database.record_presence("alice", state, reason, _at(n))
            for n, (state, reason) in enumerate(states)
        ),
        return_exceptions=True,
    )

    # a change that lands after a later one is refused by name; nothing else may go wrong
    assert all(not isinstance(r, Exception) or isinstance(r, ValueError) for r in results), results

    history = await database.presence_history("alice")
    assert [span.ended_at for span in history].count(None) == 1
    assert all(before.ended_at == after.at for before, after in itertools.pairwise(history))
