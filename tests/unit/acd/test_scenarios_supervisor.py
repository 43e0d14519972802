"""A supervisor's commands: change any agent's presence, move waiting work, offer it to a named agent;
each one logged as a `supervisor_action` before the events it causes, and replayed like any other."""

from __future__ import annotations

import pytest

from gateway.acd import (
    AgentUnavailable,
    Channel,
    EventType,
    InteractionState,
    InvalidTransition,
    Presence,
    PresenceKind,
    Router,
    Trigger,
    UnknownQueue,
)

from .helpers import T0, agent, call, make_router, members, offers, queue, types

SUPPORT = queue("support", members=members("a", "b"))
SALES = queue("sales", members=members("c"))
CHAT = queue("chat", channel=Channel.CHAT)
AGENTS = [agent("a"), agent("b"), agent("c")]  # a voice call takes all of one


def _router(*available: str) -> Router:
    return make_router([SUPPORT, SALES, CHAT], AGENTS, available=available)


def test_given_available_agent_when_supervisor_sets_not_ready_then_audit_comes_first() -> None:
    router = _router("a")
    events = router.set_presence("a", Presence.not_ready("coaching"), T0 + 10, by="sam")
    assert types(events) == [EventType.SUPERVISOR_ACTION, EventType.PRESENCE_CHANGED]
    audit, change = events
    assert audit.agent_id == "a" and audit.data["by"] == "sam" and audit.data["action"] == "set_presence"
    assert change.data["cause"] == "supervisor"
    assert router.agent("a").presence == Presence.not_ready("coaching")


def test_given_ringing_agent_when_supervisor_logs_them_out_then_offer_goes_to_another() -> None:
    router = _router("a", "b")
    router.enqueue(call("c1"), T0 + 10)
    events = router.set_presence("a", Presence.offline(), T0 + 11, by="sam")
    assert events[0].data["action"] == "log_out"
    assert EventType.OFFER_REVOKED in types(events)
    assert offers(events) == [("c1", "b")]
    assert router.agent("a").presence.kind is PresenceKind.OFFLINE


def test_given_same_presence_when_supervisor_sets_it_then_nothing_is_logged() -> None:
    router = _router("a")
    assert router.set_presence("a", Presence.available(), T0 + 10, by="sam") == []


def test_given_waiting_call_when_supervisor_moves_it_then_it_queues_there_with_its_enqueue_time() -> None:
    router = _router("c")
    router.set_presence("c", Presence.not_ready("break"), T0 + 5)
    router.enqueue(call("c1"), T0 + 10)  # nobody in support is available
    router.set_presence("c", Presence.available(), T0 + 15)
    events = router.move("c1", "sales", T0 + 20, by="sam")
    assert types(events) == [
        EventType.SUPERVISOR_ACTION,
        EventType.OVERFLOWED,
        EventType.QUEUED,
        EventType.OFFERED,
    ]
    assert events[0].data == {"by": "sam", "action": "move", "from": "support", "to": "sales"}
    view = router.interaction("c1")
    assert view is not None and view.queue == "sales" and view.agent_id == "c"
    assert view.enqueue_time == T0 + 10


def test_given_ringing_call_when_supervisor_moves_it_then_offer_is_revoked_and_agent_freed() -> None:
    router = _router("a")
    router.enqueue(call("c1"), T0 + 10)
    router.enqueue(call("c2"), T0 + 11)  # waits behind c1 for agent a
    events = router.move("c1", "sales", T0 + 12, by="sam")
    assert types(events)[:3] == [EventType.SUPERVISOR_ACTION, EventType.OFFER_REVOKED, EventType.OVERFLOWED]
    assert offers(events) == [("c2", "a")]  # a is free again and takes the next one
    view = router.interaction("c1")
    assert view is not None and view.state is InteractionState.WAITING and view.queue == "sales"


def test_given_bad_move_when_supervisor_asks_then_it_is_refused_and_nothing_changes() -> None:
    router = _router()
    router.enqueue(call("c1"), T0 + 10)
    before = router.snapshot()
    with pytest.raises(UnknownQueue):
        router.move("c1", "nowhere", T0 + 11, by="sam")
    with pytest.raises(InvalidTransition):
        router.move("c1", "support", T0 + 11, by="sam")  # already there
    with pytest.raises(InvalidTransition, match="chat"):
        router.move("c1", "chat", T0 + 11, by="sam")  # a call cannot wait in a chat queue
    assert router.snapshot() == before


def test_given_waiting_call_when_supervisor_offers_it_to_named_agent_then_it_rings_there() -> None:
    router = _router("c")  # c is not a member of support
    router.enqueue(call("c1"), T0 + 10)
    events = router.offer_to("c1", "c", T0 + 12, by="sam")
    assert types(events) == [EventType.SUPERVISOR_ACTION, EventType.OFFERED]
    assert events[0].agent_id == "c" and events[0].data["action"] == "offer"
    assert router.trace("c1")[-1].trigger is Trigger.SUPERVISOR
    assert router.trace("c1")[-1].rule == "supervisor"
    router.accept("c1", "c", T0 + 13)
    assert router.interaction("c1").state is InteractionState.ASSIGNED  # type: ignore[union-attr]


def test_given_call_ringing_elsewhere_when_offered_to_named_agent_then_first_offer_is_revoked() -> None:
    router = _router("a", "c")
    router.enqueue(call("c1"), T0 + 10)  # rings at a
    events = router.offer_to("c1", "c", T0 + 11, by="sam")
    assert types(events)[:3] == [EventType.SUPERVISOR_ACTION, EventType.OFFER_REVOKED, EventType.OFFERED]
    assert offers(events) == [("c1", "c")]
    assert router.agent("a").offered == ()


def test_given_busy_or_absent_agent_when_offered_then_refused_and_nothing_changes() -> None:
    router = _router("a", "b")
    router.enqueue(call("c1"), T0 + 10)  # a; a call takes all of its room
    router.accept("c1", "a", T0 + 11)
    router.enqueue(call("c2"), T0 + 12)  # b
    router.set_presence("b", Presence.not_ready("break"), T0 + 13)
    before = router.snapshot()
    with pytest.raises(AgentUnavailable, match="no room"):
        router.offer_to("c2", "a", T0 + 14, by="sam")
    with pytest.raises(AgentUnavailable, match="not_ready"):
        router.offer_to("c2", "b", T0 + 14, by="sam")
    with pytest.raises(InvalidTransition):
        router.offer_to("c1", "b", T0 + 14, by="sam")  # already answered
    assert router.snapshot() == before


def test_given_supervised_log_when_replayed_then_router_is_the_same() -> None:
    router = _router("a", "c")
    router.enqueue(call("c1"), T0 + 10)
    router.move("c1", "sales", T0 + 11, by="sam")
    router.enqueue(call("c2"), T0 + 12)
    router.set_presence("a", Presence.not_ready("coaching"), T0 + 13, by="sam")
    router.set_presence("c", Presence.available(), T0 + 14)
    log = router.store.read()
    replayed = Router.replay([SUPPORT, SALES, CHAT], AGENTS, log)
    assert replayed.snapshot() == router.snapshot()
