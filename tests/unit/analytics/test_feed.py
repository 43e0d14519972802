"""The live feed: the whole day for a console on connect, then what changed, read once per push."""

from __future__ import annotations

from gateway.analytics import MetricsEngine, QueueMetricsSpec, StatsFeed

from .reference_log import NOW, TZ, reference_log
from .test_reference_log import engine


def test_given_batches_folded_when_changes_are_read_then_they_name_what_changed_once() -> None:
    log = reference_log()
    spec = QueueMetricsSpec("support", agents=frozenset({"alice", "bob"}))
    feed = StatsFeed(MetricsEngine([spec], ["alice", "bob"], timezone=TZ), clock=lambda: NOW)
    feed.fold(log[:2])  # alice, then bob, become available
    first = feed.engine.changes()
    # their queue's agents by state moved, not its figures
    assert (first.queues, first.states, first.agents) == (set(), {"support"}, {"alice", "bob"})
    assert not feed.engine.changes()  # read once
    feed.fold(log[2:5])  # c1 arrives and is offered to alice: she rings
    second = feed.engine.changes()
    assert (second.queues, second.states, second.agents) == ({"support"}, set(), {"alice"})
    assert feed.engine.queue("support", NOW).agents_by_state == {"available": 1, "ringing": 1}


def test_given_a_console_when_it_connects_then_the_snapshot_is_the_whole_day() -> None:
    snapshot = StatsFeed(engine(), clock=lambda: NOW).snapshot()
    assert [q.queue for q in snapshot.queues] == ["support"]
    assert [(a.agent, a.handled) for a in snapshot.agents] == [("alice", 2), ("bob", 0)]
    assert snapshot.to_dict()["queues"][0]["offered"] == 6
