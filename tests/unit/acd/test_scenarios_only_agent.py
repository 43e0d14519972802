"""Routing scenarios, given/when/then, for interactions that only one agent may ever take (`only_agent`)."""

from __future__ import annotations

import json

import pytest

from gateway.acd import (
    Event,
    EventType,
    ExclusionReason,
    ExitAction,
    ExitKind,
    InteractionState,
    Presence,
    RelaxationKind,
    RelaxationStep,
    Router,
    UnknownAgent,
)

from .helpers import T0, agent, call, make_router, members, offers, queue

SUPPORT = queue("support", members=members("a", "b", "c"))
AGENTS = [agent("a"), agent("b"), agent("c")]


def _json_trip(events: list[Event]) -> list[Event]:
    return [Event.from_dict(json.loads(json.dumps(ev.to_dict()))) for ev in events]


def test_given_longest_idle_agents_when_call_for_only_agent_arrives_then_only_that_agent_is_offered() -> None:
    router = make_router([SUPPORT], AGENTS, available=["a", "b", "c"])  # a then b idle longest
    assert offers(router.enqueue(call("c1", only_agent="c"), T0 + 10)) == [("c1", "c")]
    decision = router.trace("c1")[-1]
    assert decision.rule == "only_agent"
    assert [c.agent_id for c in decision.candidates] == ["c"]
    left_out = {(e.agent_id, e.reason, e.detail) for e in decision.excluded}
    assert left_out == {("a", ExclusionReason.NOT_THE_AGENT, "c"), ("b", ExclusionReason.NOT_THE_AGENT, "c")}


def test_given_only_agent_busy_when_call_arrives_then_it_waits_for_them_while_others_are_idle() -> None:
    router = make_router([SUPPORT], AGENTS, available=["a", "b"])
    assert offers(router.enqueue(call("c1", only_agent="c"), T0 + 10)) == []
    decision = router.trace("c1")[-1]
    assert decision.chosen_agent is None
    reasons = {e.agent_id: e.reason for e in decision.excluded}
    assert reasons == {
        "a": ExclusionReason.NOT_THE_AGENT,
        "b": ExclusionReason.NOT_THE_AGENT,
        "c": ExclusionReason.PRESENCE,
    }
    # another agent freeing up is not offered it either
    router.set_presence("a", Presence.not_ready("break"), T0 + 20)
    assert offers(router.set_presence("a", Presence.available(), T0 + 21)) == []
    assert offers(router.set_presence("c", Presence.available(), T0 + 30)) == [("c1", "c")]


def test_given_only_agent_on_a_call_when_it_ends_then_their_waiting_call_is_offered_to_them() -> None:
    router = make_router([SUPPORT], AGENTS, available=["c", "a"])
    router.enqueue(call("c0"), T0 + 10)  # c is longest idle
    router.accept("c0", "c", T0 + 11)
    assert offers(router.enqueue(call("c1", only_agent="c"), T0 + 12)) == []
    assert router.interaction("c1").state is InteractionState.WAITING  # type: ignore[union-attr]
    assert offers(router.end("c0", T0 + 40)) == [("c1", "c")]


def test_given_only_agent_absent_when_relaxation_steps_fire_then_no_step_widens_it() -> None:
    steps = (
        RelaxationStep(10, RelaxationKind.DROP_PREFERRED),
        RelaxationStep(20, RelaxationKind.WIDEN_QUEUE, queue="sales"),
    )
    support = queue("support", members=members("a", "c"), relaxation=steps)
    sales = queue("sales", members=members("b"))
    router = make_router([support, sales], AGENTS, available=["a", "b"])
    router.enqueue(call("c1", only_agent="c", preferred_agent="a"), T0 + 10)
    events = router.tick(T0 + 60)
    assert [ev.type for ev in events] == [EventType.RELAXED, EventType.RELAXED]
    assert offers(events) == []
    view = router.interaction("c1")
    assert view is not None and view.relaxation_steps_applied == 2 and view.waits_for_preferred
    assert offers(router.set_presence("c", Presence.available(), T0 + 61)) == [("c1", "c")]


def test_given_only_agent_call_when_max_wait_overflows_it_then_it_still_waits_for_that_agent() -> None:
    support = queue(
        "support", max_wait_seconds=30, max_wait_exit=ExitAction(ExitKind.OVERFLOW, queue="general")
    )
    router = make_router([support, queue("general")], AGENTS, available=["a", "b"])
    router.enqueue(call("c1", only_agent="c"), T0 + 10)
    events = router.tick(T0 + 45)
    assert EventType.OVERFLOWED in [ev.type for ev in events] and offers(events) == []
    assert offers(router.set_presence("c", Presence.available(), T0 + 50)) == [("c1", "c")]


def test_given_waiting_only_agent_call_when_log_is_replayed_through_json_then_it_still_waits_for_them() -> (
    None
):
    router = make_router([SUPPORT], AGENTS, available=["a"])
    router.enqueue(call("c1", only_agent="c"), T0 + 10)
    twin = Router.replay(router.queues, router.agents, _json_trip(router.store.read()))
    assert twin.snapshot() == router.snapshot()
    assert twin.interaction("c1").only_agent == "c"  # type: ignore[union-attr]
    assert offers(twin.set_presence("b", Presence.available(), T0 + 20)) == []
    assert offers(twin.set_presence("c", Presence.available(), T0 + 21)) == [("c1", "c")]


def test_given_a_log_written_before_only_agent_when_replayed_then_the_call_goes_to_any_agent() -> None:
    router = make_router([SUPPORT], AGENTS)
    router.enqueue(call("c1"), T0 + 10)
    old = []
    for raw in (json.loads(json.dumps(ev.to_dict())) for ev in router.store.read()):
        if raw["type"] == str(EventType.RECEIVED):
            del raw["data"]["only_agent"]
        old.append(Event.from_dict(raw))
    twin = Router.replay(router.queues, router.agents, old)
    assert twin.interaction("c1").only_agent is None  # type: ignore[union-attr]
    assert offers(twin.set_presence("b", Presence.available(), T0 + 20)) == [("c1", "b")]


def test_given_an_unknown_only_agent_when_call_arrives_then_it_is_refused_naming_the_agent() -> None:
    router = make_router([SUPPORT], AGENTS, available=["a"])
    before = router.snapshot()
    with pytest.raises(UnknownAgent, match=r"only_agent: unknown agent 'ghost'") as caught:
        router.enqueue(call("c1", only_agent="ghost"), T0 + 10)
    assert caught.value.agent_id == "ghost" and caught.value.interaction_id == "c1"
    assert router.snapshot() == before
    assert router.interaction("c1") is None


def test_given_an_empty_only_agent_when_interaction_is_built_then_it_is_refused() -> None:
    with pytest.raises(ValueError, match="only_agent"):
        call("c1", only_agent="")
