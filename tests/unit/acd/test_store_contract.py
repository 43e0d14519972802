"""The `StateStore` contract. Every implementation must pass it: add its factory to STORES
(a Redis store joins with a factory that flushes a test database)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gateway.acd import Event, EventsDropped, EventType, InMemoryStore, Presence, Router, StateStore
from gateway.acd._store import DEFAULT_MAX_EVENTS

from .helpers import T0, agent, call, queue

STORES: dict[str, Callable[[], StateStore]] = {"in_memory": InMemoryStore}


@pytest.fixture(params=sorted(STORES))
def store(request: pytest.FixtureRequest) -> StateStore:
    return STORES[request.param]()


def _event(seq: int) -> Event:
    return Event(
        seq=seq,
        type=EventType.PRESENCE_CHANGED,
        at=T0 + seq,
        agent_id="a",
        data={"presence": Presence.available().to_dict()},
    )


def test_given_empty_store_then_nothing_to_read_and_last_seq_is_zero(store: StateStore) -> None:
    assert store.read() == [] and store.last_seq() == 0


def test_given_reserved_seqs_then_they_strictly_increase(store: StateStore) -> None:
    seqs = [store.next_seq() for _ in range(5)]
    assert seqs == sorted(set(seqs)) and seqs[0] >= 1


def test_given_appended_events_then_they_are_read_back_in_order(store: StateStore) -> None:
    events = [_event(store.next_seq()) for _ in range(5)]
    store.append(events[:2])
    store.append(events[2:])
    assert store.read() == events
    assert store.last_seq() == events[-1].seq
    assert store.read(after_seq=events[1].seq) == events[2:]
    assert store.read(after_seq=events[0].seq, limit=2) == events[1:3]


def test_given_out_of_order_batch_when_appended_then_refused_and_nothing_stored(store: StateStore) -> None:
    store.append([_event(store.next_seq())])
    with pytest.raises(ValueError):
        store.append([_event(5), _event(4)])
    with pytest.raises(ValueError):
        store.append([_event(1)])
    assert [ev.seq for ev in store.read()] == [1]


def test_given_appended_events_then_next_seq_continues_after_them(store: StateStore) -> None:
    store.append([_event(7)])
    assert store.next_seq() > 7


def test_given_events_then_they_survive_a_json_round_trip(store: StateStore) -> None:
    ev = _event(store.next_seq())
    store.append([ev])
    assert [Event.from_dict(e.to_dict()) for e in store.read()] == [ev]


def test_given_a_router_on_the_store_when_it_restarts_then_it_resumes_the_same_state(
    store: StateStore,
) -> None:
    queues, agents = [queue("support", wrap_up_seconds=10)], [agent("a"), agent("b")]
    router = Router(queues=queues, agents=agents, store=store)
    router.set_presence("a", Presence.available(), T0)
    router.enqueue(call("c1"), T0 + 1)
    router.enqueue(call("c2"), T0 + 2)
    router.accept("c1", "a", T0 + 3)
    restarted = Router.from_store(queues, agents, store)
    assert restarted.snapshot() == router.snapshot()
    events = restarted.set_presence("b", Presence.available(), T0 + 4)
    assert events[0].seq == router.snapshot()["last_seq"] + 1  # type: ignore[operator]
    assert restarted.interaction("c2").agent_id == "b"  # type: ignore[union-attr]


def test_given_a_bounded_in_memory_store_when_it_overflows_then_it_keeps_the_newest_tail() -> None:
    store = InMemoryStore(max_events=3)
    events = [_event(store.next_seq()) for _ in range(5)]
    store.append(events[:2])
    store.append(events[2:])
    assert store.read(after_seq=2) == events[2:]
    assert store.read(after_seq=3, limit=1) == events[3:4]
    assert store.last_seq() == 5 and store.next_seq() == 6
    with pytest.raises(EventsDropped) as info:
        store.read()
    assert info.value.dropped_through == 2


def test_given_a_router_whose_store_dropped_events_when_resumed_then_it_refuses() -> None:
    queues, agents = [queue("support")], [agent("a")]
    store = InMemoryStore(max_events=2)
    router = Router(queues=queues, agents=agents, store=store)
    router.set_presence("a", Presence.available(), T0)
    router.enqueue(call("c1"), T0 + 1)
    with pytest.raises(EventsDropped):
        Router.from_store(queues, agents, store)


def test_given_a_default_in_memory_store_then_it_keeps_a_bounded_tail_and_unbounded_on_request() -> None:
    assert InMemoryStore().max_events == DEFAULT_MAX_EVENTS
    assert InMemoryStore(max_events=None).max_events is None
    with pytest.raises(ValueError, match="max_events"):
        InMemoryStore(max_events=0)
