"""The events the router writes: immutable values, built from checked input, that replay to the same state
after a trip through JSON."""

from __future__ import annotations

import json

import pytest

from gateway.acd import Event, EventType, NewInteraction, Presence, Router, SupervisorAction

from .helpers import T0, agent, call, make_router, queue, skills


def test_given_an_event_when_changed_then_it_refuses_and_a_copy_carries_the_change() -> None:
    ev = Event(1, EventType.QUEUED, 1.0, "c1", None, {"queue": "billing"})
    with pytest.raises(AttributeError):
        ev.seq = 2  # type: ignore[misc]
    assert ev._replace(seq=2) == Event(2, EventType.QUEUED, 1.0, "c1", None, {"queue": "billing"})
    assert Event.from_dict(json.loads(json.dumps(ev.to_dict()))) == ev


def test_given_an_event_without_data_when_read_then_its_data_is_empty_and_cannot_be_changed() -> None:
    ev = Event(seq=3, type=EventType.WRAP_UP_ENDED, at=2.0, agent_id="a1")
    assert ev.data == {} and ev.to_dict()["data"] == {}
    with pytest.raises(TypeError):
        ev.data["x"] = 1  # what a mistaken caller would do


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


def test_given_work_ended_with_hold_time_then_the_ended_event_says_it_and_whether_wrap_up_follows() -> None:
    router = make_router([queue("support", wrap_up_seconds=10)], [agent("a1")], available=["a1"])
    router.enqueue(call("c1"), T0 + 5)
    router.accept("c1", "a1", T0 + 6)
    (ended, wrap_up) = router.end("c1", T0 + 60, hold_seconds=12.5)
    assert (ended.type, dict(ended.data)) == (
        EventType.ENDED,
        {"queue": "support", "reason": "completed", "wrap_up": True, "hold_seconds": 12.5},
    )
    assert wrap_up.type is EventType.PRESENCE_CHANGED
    router.set_presence("a1", Presence.not_ready("break"), T0 + 61)
    router.enqueue(call("c2", only_agent="a1"), T0 + 62)
    router.set_presence("a1", Presence.available(), T0 + 63)
    router.accept("c2", "a1", T0 + 64)
    router.set_presence("a1", Presence.not_ready("break"), T0 + 65)  # busy, then not ready: no wrap-up after
    (ended2,) = router.end("c2", T0 + 70)
    assert dict(ended2.data) == {"queue": "support", "reason": "completed", "wrap_up": False}


def test_given_negative_hold_time_when_ending_then_it_is_refused_and_nothing_changes() -> None:
    router = make_router([queue("support")], [agent("a1")], available=["a1"])
    router.enqueue(call("c1"), T0 + 5)
    router.accept("c1", "a1", T0 + 6)
    before = router.snapshot()
    with pytest.raises(ValueError, match="hold_seconds must be >= 0"):
        router.end("c1", T0 + 60, hold_seconds=-1)
    assert router.snapshot() == before


def test_given_a_supervisor_action_when_recorded_then_it_is_logged_and_replays_to_the_same_state() -> None:
    router = make_router([queue("support")], [agent("a")])
    router.set_presence("a", Presence.available(), T0 + 1)
    router.enqueue(call("c1"), T0 + 2)
    before = router.snapshot()
    action = SupervisorAction(
        actor="sam", action="monitor_join", target="c1", interaction_id="c1", agent_id="a",
        details={"mode": "listen"},
    )  # fmt: skip

    [event] = router.record_action(action, T0 + 3)

    assert (event.type, event.interaction_id, event.agent_id) == (EventType.SUPERVISOR_ACTION, "c1", "a")
    assert event.data == {
        "by": "sam",
        "action": "monitor_join",
        "target": "c1",
        "details": {"mode": "listen"},
    }
    assert event.seq == router.store.read()[-2].seq + 1
    assert router.snapshot() == {**before, "last_seq": event.seq}  # nothing else changes in routing
    logged = [Event.from_dict(json.loads(json.dumps(ev.to_dict()))) for ev in router.store.read()]
    twin = Router.replay(router.queues, router.agents, logged)
    assert twin.snapshot() == router.snapshot()


@pytest.mark.parametrize("empty", ["actor", "action", "target"])
def test_given_a_supervisor_action_missing_who_what_or_whom_when_built_then_it_is_refused(empty: str) -> None:
    fields = {"actor": "sam", "action": "monitor_join", "target": "c1", empty: ""}
    with pytest.raises(ValueError, match=f"supervisor action: {empty} must not be empty"):
        SupervisorAction(**fields)
