"""The live feed: a console's snapshot on connect, then coalesced deltas of what changed."""

from __future__ import annotations

import asyncio

from gateway.analytics import MetricsEngine, Snapshot, StatsFeed

from .reference_log import NOW, reference_log
from .test_reference_log import engine


async def test_given_a_listener_when_batches_fold_then_one_delta_holds_everything_they_changed() -> None:
    log = reference_log()
    fresh = StatsFeed(MetricsEngine([], ["alice", "bob"]), clock=lambda: NOW, coalesce_seconds=0.05)
    got: list[Snapshot] = []
    fresh.subscribe(got.append)
    fresh.fold(log[:2])  # alice, then bob, become available
    fresh.fold(log[2:4])  # c1 arrives
    assert got == []  # not yet: coalesced
    async with asyncio.timeout(5):
        while not got:
            await asyncio.sleep(0.01)
    (delta,) = got
    assert [a.agent for a in delta.agents] == ["alice", "bob"]
    assert [(q.queue, q.offered, q.waiting) for q in delta.queues] == [("support", 1, 1)]
    fresh.close()


def test_given_a_console_when_it_connects_then_the_snapshot_is_the_whole_day() -> None:
    snapshot = StatsFeed(engine(), clock=lambda: NOW).snapshot()
    assert [q.queue for q in snapshot.queues] == ["support"]
    assert [(a.agent, a.handled) for a in snapshot.agents] == [("alice", 2), ("bob", 0)]
    assert snapshot.to_dict()["queues"][0]["offered"] == 6
