"""The events the router writes on its fast path: the same frozen values as `Event(...)` builds, from
checked input, and they replay to the same state after a trip through JSON."""

from __future__ import annotations

import dataclasses
import json

import pytest

from gateway.acd import JSON, Event, EventType, NewInteraction, Presence, Router
from gateway.acd.events import new_event

from .helpers import T0, agent, call, make_router, queue, skills


def test_given_the_fast_constructor_when_an_event_is_built_then_it_equals_the_dataclass_one() -> None:
    data: dict[str, JSON] = {"queue": "billing", "deadline": 1_700_000_020.0}
    fast = new_event(7, EventType.OFFERED, 1_700_000_000.0, "c1", "a1", data)
    assert type(fast) is Event
    assert fast == Event(7, EventType.OFFERED, 1_700_000_000.0, "c1", "a1", data)
    assert Event.from_dict(json.loads(json.dumps(fast.to_dict()))) == fast


def test_given_a_fast_built_event_when_changed_then_it_refuses() -> None:
    fast = new_event(1, EventType.QUEUED, 1.0, "c1", None, {"queue": "billing"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.seq = 2  # type: ignore[misc]
    assert dataclasses.replace(fast, seq=2) == Event(
        2, EventType.QUEUED, 1.0, "c1", None, {"queue": "billing"}
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"priority": True},
        {"priority": 1.5},
        {"attributes": {"tier": ["gold"]}},
        {"enqueue_time": "yesterday"},
        {"preferred_agent": 7},
    ],
)
def test_given_a_new_interaction_with_a_non_json_field_when_built_then_it_is_refused(
    bad: dict[str, object],
) -> None:
    # the router logs RECEIVED from these values without reading them back: they must replay
    with pytest.raises(ValueError, match="interaction 'c1'"):
        NewInteraction(id="c1", queue="support", **bad)  # type: ignore[arg-type]


def test_given_a_rich_interaction_when_its_log_is_replayed_through_json_then_the_state_is_the_same() -> None:
    router = make_router([queue("support", skills=skills(("billing", 3)))], [agent("a", ("billing", 5))])
    router.enqueue(
        call("c1", attributes={"tier": "gold", "vip": True, "score": 2.5}, priority=2, preferred_agent="a"),
        T0 + 1,
    )
    router.set_presence("a", Presence.available(), T0 + 2)
    logged = [Event.from_dict(json.loads(json.dumps(ev.to_dict()))) for ev in router.store.read()]
    twin = Router.replay(router.queues, router.agents, logged)
    assert twin.snapshot() == router.snapshot()
    assert twin.interaction("c1") == router.interaction("c1")
