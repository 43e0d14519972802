"""Routing scenarios, given/when/then: strategies, offers, capacity, presence, errors and the trace."""

from __future__ import annotations

import json

import pytest

from gateway.acd import (
    CapacityProfile,
    Channel,
    DuplicateInteraction,
    EventType,
    ExclusionReason,
    InteractionState,
    InvalidTransition,
    NotOffered,
    Presence,
    PresenceKind,
    QueueMember,
    Router,
    Strategy,
    UnknownAgent,
    UnknownInteraction,
    UnknownQueue,
)
from gateway.acd.specs import AgentSpec

from .helpers import T0, agent, call, chat, make_router, members, offers, queue, skills, types

SUPPORT = queue("support", skills=skills(("billing", 1)))


def test_given_two_idle_agents_when_call_arrives_then_longest_idle_is_offered() -> None:
    router = make_router(
        [SUPPORT], [agent("a", ("billing", 5)), agent("b", ("billing", 5))], available=["b", "a"]
    )
    events = router.enqueue(call("c1"), T0 + 10)
    assert offers(events) == [("c1", "b")]
    assert types(events) == [EventType.RECEIVED, EventType.QUEUED, EventType.OFFERED]
    assert router.trace("c1")[-1].rule == "longest_idle"


def test_given_agents_with_chats_when_chat_arrives_then_least_occupied_is_offered() -> None:
    q = queue("chat", channel=Channel.CHAT, strategy=Strategy.LEAST_OCCUPIED)
    router = make_router([q], [agent("a"), agent("b")], available=["a", "b"])
    for n, who in enumerate(["a", "b", "a"]):  # a gets two chats, b one
        router.enqueue(chat(f"x{n}"), T0 + 10 + n)
        assert router.interaction(f"x{n}").agent_id == who  # type: ignore[union-attr]
    assert offers(router.enqueue(chat("x3"), T0 + 20)) == [("x3", "b")]


def test_given_round_robin_queue_when_calls_arrive_then_members_take_turns() -> None:
    q = queue("support", strategy=Strategy.ROUND_ROBIN, members=members("a", "b", "c"))
    router = make_router([q], [agent("a"), agent("b"), agent("c")], available=["c", "b", "a"])
    chosen = []
    for n in range(4):
        [(_, who)] = offers(router.enqueue(call(f"c{n}"), T0 + 10 + n))
        chosen.append(who)
        router.accept(f"c{n}", who, T0 + 10 + n)  # type: ignore[arg-type]
        router.end(f"c{n}", T0 + 10 + n)
    assert chosen == ["a", "b", "c", "a"]


def test_given_best_skill_queue_when_call_arrives_then_highest_level_wins_and_ties_go_to_longest_idle() -> (
    None
):
    q = queue("support", strategy=Strategy.BEST_SKILL, skills=skills(("billing", 1)))
    agents = [agent("low", ("billing", 3)), agent("hi1", ("billing", 9)), agent("hi2", ("billing", 9))]
    router = make_router([q], agents, available=["low", "hi2", "hi1"])
    assert offers(router.enqueue(call("c1"), T0 + 10)) == [("c1", "hi2")]
    assert offers(router.enqueue(call("c2"), T0 + 11)) == [("c2", "hi1")]
    assert router.trace("c1")[-1].rule == "best_skill"


def test_given_member_tiers_when_call_arrives_then_lower_tier_is_offered_before_longer_idle() -> None:
    q = queue("support", members=(QueueMember("backup", priority=1), QueueMember("main", priority=0)))
    router = make_router([q], [agent("backup"), agent("main")], available=["backup", "main"])
    assert offers(router.enqueue(call("c1"), T0 + 10)) == [("c1", "main")]
    assert offers(router.enqueue(call("c2"), T0 + 11)) == [("c2", "backup")]


def test_given_chat_agent_when_five_chats_arrive_then_four_are_offered_and_the_fifth_waits() -> None:
    q = queue("chat", channel=Channel.CHAT)
    router = make_router([q], [agent("a")], available=["a"])
    for n in range(5):
        router.enqueue(chat(f"x{n}"), T0 + 10 + n)
    assert router.agent("a").offered == ("x0", "x1", "x2", "x3")
    assert router.interaction("x4").state is InteractionState.WAITING  # type: ignore[union-attr]
    assert router.agent("a").used_units == 4


def test_given_agent_chatting_when_call_arrives_then_voice_is_not_offered_until_chat_ends() -> None:
    queues = [queue("chat", channel=Channel.CHAT), queue("support")]
    router = make_router(queues, [agent("a")], available=["a"])
    router.enqueue(chat("x1"), T0 + 10)
    router.accept("x1", "a", T0 + 11)
    assert offers(router.enqueue(call("c1"), T0 + 12)) == []
    [decision] = router.trace("c1")
    assert [(e.agent_id, e.reason) for e in decision.excluded] == [("a", ExclusionReason.CAPACITY)]
    assert offers(router.end("x1", T0 + 20)) == [("c1", "a")]


def test_given_agent_on_a_call_when_chat_arrives_then_it_waits_until_the_call_ends() -> None:
    queues = [queue("chat", channel=Channel.CHAT), queue("support")]
    router = make_router(queues, [agent("a")], available=["a"])
    router.enqueue(call("c1"), T0 + 10)
    router.accept("c1", "a", T0 + 11)
    assert offers(router.enqueue(chat("x1"), T0 + 12)) == []
    assert offers(router.end("c1", T0 + 20)) == [("x1", "a")]


def test_given_offer_when_agent_rejects_then_next_agent_is_offered_and_rejecter_is_excluded() -> None:
    router = make_router(
        [SUPPORT], [agent("a", ("billing", 5)), agent("b", ("billing", 5))], available=["a", "b"]
    )
    router.enqueue(call("c1"), T0 + 10)
    events = router.reject("c1", "a", T0 + 12)
    assert types(events) == [EventType.REJECTED, EventType.OFFERED]
    assert offers(events) == [("c1", "b")]
    router.reject("c1", "b", T0 + 13)
    view = router.interaction("c1")
    assert view is not None and view.state is InteractionState.WAITING and view.declined == ("a", "b")
    assert view.enqueue_time == T0 + 10
    assert router.agent("a").presence == Presence.available()
    reasons = {(e.agent_id, e.reason) for e in router.trace("c1")[-1].excluded}
    assert reasons == {("a", ExclusionReason.DECLINED_BEFORE), ("b", ExclusionReason.DECLINED_BEFORE)}


def test_given_rejected_call_when_a_new_call_arrives_then_the_rejecter_takes_the_new_one() -> None:
    router = make_router([SUPPORT], [agent("a", ("billing", 5))], available=["a"])
    router.enqueue(call("c1"), T0 + 10)
    router.reject("c1", "a", T0 + 11)
    assert offers(router.enqueue(call("c2"), T0 + 12)) == [("c2", "a")]


def test_given_offer_when_it_times_out_then_agent_goes_not_ready_missed_and_call_keeps_its_place() -> None:
    q = queue("support", offer_timeout_seconds=15)
    router = make_router([q], [agent("a"), agent("b")], available=["a"])
    router.enqueue(call("c1"), T0 + 10)
    router.set_presence("b", Presence.not_ready("lunch"), T0 + 11)
    router.enqueue(call("c2"), T0 + 12)  # waits behind c1
    assert router.next_deadline() == T0 + 25
    events = router.tick(T0 + 25)
    assert types(events) == [EventType.TIMED_OUT, EventType.PRESENCE_CHANGED]
    assert router.agent("a").presence == Presence.not_ready("missed")
    router.set_presence("b", Presence.available(), T0 + 30)
    view = router.interaction("c1")
    assert view is not None and view.agent_id == "b" and view.enqueue_time == T0 + 10


def test_given_offer_ringing_when_agent_goes_offline_then_offer_is_revoked_and_goes_to_another_agent() -> (
    None
):
    router = make_router([queue("support")], [agent("a"), agent("b")], available=["a", "b"])
    router.enqueue(call("c1"), T0 + 10)
    events = router.set_presence("a", Presence.offline(), T0 + 11)
    assert types(events) == [EventType.OFFER_REVOKED, EventType.PRESENCE_CHANGED, EventType.OFFERED]
    assert offers(events) == [("c1", "b")]
    assert router.interaction("c1").declined == ()  # type: ignore[union-attr]


def test_given_offered_call_when_caller_hangs_up_then_agent_is_freed_for_the_next_call() -> None:
    router = make_router([queue("support")], [agent("a")], available=["a"])
    router.enqueue(call("c1"), T0 + 10)
    router.enqueue(call("c2"), T0 + 11)
    events = router.abandon("c1", T0 + 12)
    assert types(events) == [EventType.ABANDONED, EventType.OFFERED]
    assert events[0].data["waited"] == 2.0
    assert router.interaction("c1").end_reason == "abandoned"  # type: ignore[union-attr]
    assert offers(events) == [("c2", "a")]
    assert router.queue_snapshot("support").abandoned == 1


def test_given_offered_call_when_its_media_worker_is_lost_then_it_exits_not_abandoned_and_agent_is_free() -> (
    None
):
    router = make_router([queue("support")], [agent("a")], available=["a"])
    router.enqueue(call("c1"), T0 + 10)
    router.enqueue(call("c2"), T0 + 11)
    events = router.drop("c1", "media_worker_lost", T0 + 12)
    assert types(events) == [EventType.OFFER_REVOKED, EventType.EXITED, EventType.OFFERED]
    assert events[1].data == {"queue": "support", "kind": "disconnect", "reason": "media_worker_lost"}
    assert router.interaction("c1").end_reason == "media_worker_lost:disconnect"  # type: ignore[union-attr]
    assert offers(events) == [("c2", "a")]
    assert router.queue_snapshot("support").abandoned == 0


def test_given_waiting_call_when_caller_hangs_up_then_it_leaves_the_queue() -> None:
    router = make_router([queue("support")], [agent("a")])
    router.enqueue(call("c1"), T0 + 10)
    router.abandon("c1", T0 + 40)
    assert router.queue_snapshot("support").waiting == 0
    router.set_presence("a", Presence.available(), T0 + 50)
    assert router.agent("a").offered == ()


def test_given_sticky_agent_without_drop_step_when_call_arrives_then_preferred_agent_goes_first() -> None:
    router = make_router([queue("support")], [agent("a"), agent("b")], available=["a", "b"])
    assert offers(router.enqueue(call("c1", preferred_agent="b"), T0 + 10)) == [("c1", "b")]
    assert router.trace("c1")[-1].rule == "preferred_agent"


def test_given_sticky_agent_busy_without_drop_step_when_call_arrives_then_another_agent_takes_it() -> None:
    router = make_router([queue("support")], [agent("a"), agent("b")], available=["a"])
    assert offers(router.enqueue(call("c1", preferred_agent="b"), T0 + 10)) == [("c1", "a")]


def test_given_assigned_call_when_it_ends_then_wrap_up_blocks_offers_in_every_queue_until_it_ends() -> None:
    queues = [queue("sales", wrap_up_seconds=30), queue("support", wrap_up_seconds=0)]
    router = make_router(queues, [agent("a")], available=["a"])
    router.enqueue(call("s1", "sales"), T0 + 10)
    router.accept("s1", "a", T0 + 11)
    router.enqueue(call("c1", "support"), T0 + 12)
    events = router.end("s1", T0 + 60)
    assert types(events) == [EventType.ENDED, EventType.PRESENCE_CHANGED]
    assert router.agent("a").presence == Presence.wrap_up(T0 + 90)
    assert router.trace("c1")[-1].excluded[0].reason is ExclusionReason.CAPACITY
    assert router.tick(T0 + 89) == []
    assert router.next_deadline() == T0 + 90
    events = router.tick(T0 + 90)
    assert types(events) == [EventType.WRAP_UP_ENDED, EventType.OFFERED]
    assert offers(events) == [("c1", "a")]


def test_given_agent_in_wrap_up_when_call_arrives_then_trace_says_wrap_up() -> None:
    router = make_router([queue("support", wrap_up_seconds=30)], [agent("a")], available=["a"])
    router.enqueue(call("c1"), T0 + 10)
    router.accept("c1", "a", T0 + 11)
    router.end("c1", T0 + 20)
    router.enqueue(call("c2"), T0 + 21)
    [decision] = router.trace("c2")
    assert [(e.agent_id, e.reason) for e in decision.excluded] == [("a", ExclusionReason.WRAP_UP)]


def test_given_explained_class_when_an_unavailable_agent_changes_then_next_trace_is_current() -> None:
    router = make_router(
        [queue("support", wrap_up_seconds=30)], [agent("a"), agent("b")], available=["a", "b"]
    )
    router.enqueue(call("c1"), T0 + 10)
    router.enqueue(call("c2"), T0 + 10)
    router.enqueue(call("w1"), T0 + 11)  # both on a call: explained from scratch
    router.enqueue(call("w2"), T0 + 12)  # nothing changed: the same explanation, for w2
    router.accept("c1", "a", T0 + 13)
    router.end("c1", T0 + 14)  # a goes to wrap-up: the explanation citing it is stale
    router.enqueue(call("w3"), T0 + 15)

    def reasons(iid: str) -> list[tuple[str, str, ExclusionReason]]:
        [decision] = router.trace(iid)
        return [(e.agent_id, e.interaction_id, e.reason) for e in decision.excluded]

    assert reasons("w1") == [("a", "w1", ExclusionReason.CAPACITY), ("b", "w1", ExclusionReason.CAPACITY)]
    assert reasons("w2") == [("a", "w2", ExclusionReason.CAPACITY), ("b", "w2", ExclusionReason.CAPACITY)]
    assert reasons("w3") == [("a", "w3", ExclusionReason.WRAP_UP), ("b", "w3", ExclusionReason.CAPACITY)]


def test_given_mixed_agents_when_call_waits_then_trace_lists_each_exclusion_reason() -> None:
    q = queue(
        "vip", skills=skills(("billing", 5)), members=members("nolevel", "noskill", "away", "busy", "ok")
    )
    agents = [
        agent("nolevel", ("billing", 2)),
        agent("noskill", ("sales", 9)),
        agent("away", ("billing", 9)),
        agent("busy", ("billing", 9)),
        agent("ok", ("billing", 9)),
        agent("outsider", ("billing", 9)),
    ]
    router = make_router(
        [q, queue("other", members=members("busy"))],
        agents,
        available=["nolevel", "noskill", "busy", "ok", "outsider"],
    )
    router.enqueue(call("o1", "other"), T0 + 10)  # busy takes it
    router.enqueue(call("v1", "vip"), T0 + 11)  # ok takes it
    router.reject("v1", "ok", T0 + 12)
    decision = router.trace("v1")[-1]
    assert decision.chosen_agent is None
    reasons = {e.agent_id: e.reason for e in decision.excluded}
    assert reasons == {
        "nolevel": ExclusionReason.LEVEL,
        "noskill": ExclusionReason.SKILL,
        "away": ExclusionReason.PRESENCE,
        "busy": ExclusionReason.CAPACITY,
        "ok": ExclusionReason.DECLINED_BEFORE,
        "outsider": ExclusionReason.NOT_MEMBER,
    }
    assert json.loads(json.dumps(decision.to_dict()))["excluded"]


def test_given_skill_queue_with_outsider_when_members_queue_call_arrives_then_non_member_is_excluded() -> (
    None
):
    q = queue("vip", members=members("m"))
    router = make_router([q], [agent("m"), agent("x")], available=["x"])
    router.enqueue(call("v1", "vip"), T0 + 10)
    router.set_presence("x", Presence.not_ready("break"), T0 + 11)
    router.set_presence("x", Presence.available(), T0 + 12)
    assert router.interaction("v1").state is InteractionState.WAITING  # type: ignore[union-attr]
    router.set_presence("m", Presence.available(), T0 + 13)
    assert router.interaction("v1").agent_id == "m"  # type: ignore[union-attr]


def test_given_offer_when_trace_is_read_then_candidates_are_scored_best_first() -> None:
    router = make_router(
        [SUPPORT], [agent("a", ("billing", 5)), agent("b", ("billing", 5))], available=["a", "b"]
    )
    router.enqueue(call("c1"), T0 + 10)
    decision = router.trace("c1")[0]
    assert [c.agent_id for c in decision.candidates] == ["a", "b"]
    assert decision.candidates[0].score < decision.candidates[1].score
    assert decision.to_dict()["chosen_agent"] == "a"


def test_given_idle_agent_when_higher_priority_call_waits_with_older_low_priority_then_priority_wins() -> (
    None
):
    router = make_router([queue("support")], [agent("a")])
    router.enqueue(call("low", priority=0), T0 + 10)
    router.enqueue(call("high", priority=5), T0 + 20)
    assert offers(router.set_presence("a", Presence.available(), T0 + 30)) == [("high", "a")]


def test_given_equal_priority_calls_when_agent_frees_then_oldest_is_offered_first() -> None:
    router = make_router([queue("support")], [agent("a")])
    for n in range(3):
        router.enqueue(call(f"c{n}"), T0 + 10 + n)
    assert offers(router.set_presence("a", Presence.available(), T0 + 30)) == [("c0", "a")]


class TestErrors:
    def test_given_offer_to_a_when_b_accepts_then_not_offered_and_nothing_changes(self) -> None:
        router = make_router([queue("support")], [agent("a"), agent("b")], available=["a", "b"])
        router.enqueue(call("c1"), T0 + 10)
        before = router.snapshot()
        with pytest.raises(NotOffered) as info:
            router.accept("c1", "b", T0 + 11)
        assert (info.value.interaction_id, info.value.agent_id) == ("c1", "b")
        assert router.snapshot() == before

    def test_given_unknown_ids_when_called_then_errors_carry_the_id(self) -> None:
        router = make_router([queue("support")], [agent("a")])
        with pytest.raises(UnknownInteraction) as info:
            router.accept("nope", "a", T0)
        assert info.value.interaction_id == "nope"
        with pytest.raises(UnknownAgent):
            router.set_presence("ghost", Presence.available(), T0)
        with pytest.raises(UnknownQueue):
            router.enqueue(call("c1", "nowhere"), T0)
        assert router.store.last_seq() == 0

    def test_given_known_interaction_when_enqueued_again_then_duplicate(self) -> None:
        router = make_router([queue("support")], [agent("a")])
        router.enqueue(call("c1"), T0)
        with pytest.raises(DuplicateInteraction):
            router.enqueue(call("c1"), T0 + 1)

    def test_given_waiting_call_when_ended_then_invalid_transition(self) -> None:
        router = make_router([queue("support")], [agent("a")])
        router.enqueue(call("c1"), T0)
        with pytest.raises(InvalidTransition):
            router.end("c1", T0 + 1)

    def test_given_manual_wrap_up_when_set_then_value_error(self) -> None:
        router = make_router([queue("support")], [agent("a")])
        with pytest.raises(ValueError, match="wrap-up"):
            router.set_presence("a", Presence.wrap_up(T0 + 5), T0)

    def test_given_bad_config_when_router_built_then_message_names_the_field(self) -> None:
        with pytest.raises(ValueError, match="queue 'q': members: unknown agent 'ghost'"):
            Router(queues=[queue("q", members=members("ghost"))], agents=[])
        with pytest.raises(ValueError, match=r"agent 'a': skills\.x level must be 1-10"):
            Router(queues=[], agents=[AgentSpec(id="a", name="A", skills=(("x", 11),))])
        with pytest.raises(ValueError, match=r"capacity\.total"):
            Router(queues=[], agents=[agent("a", total=0)])


def test_given_calls_and_agents_when_queue_snapshot_taken_then_it_counts_waiting_and_agents() -> None:
    router = make_router(
        [SUPPORT], [agent("a", ("billing", 5)), agent("b", ("billing", 5)), agent("c")], available=["a"]
    )
    router.set_presence("b", Presence.not_ready("lunch"), T0)
    router.enqueue(call("c1"), T0 + 10)
    router.accept("c1", "a", T0 + 12)
    router.enqueue(call("c2"), T0 + 15)
    snap = router.queue_snapshot("support")
    assert (snap.waiting, snap.oldest_enqueue_time, snap.agents_available, snap.agents_busy) == (
        1,
        T0 + 15,
        0,
        2,
    )
    assert (snap.answered, snap.answered_within_service_level, snap.service_level) == (1, 1, 1.0)


def test_given_agent_capacity_profile_when_chat_costs_two_then_only_two_chats_fit() -> None:
    spec = AgentSpec(id="a", name="A", capacity=CapacityProfile(total=4, cost=((Channel.CHAT, 2),)))
    router = make_router([queue("chat", channel=Channel.CHAT)], [spec], available=["a"])
    for n in range(3):
        router.enqueue(chat(f"x{n}"), T0 + 10 + n)
    assert router.agent("a").offered == ("x0", "x1")
    assert router.agent("a").presence.kind is PresenceKind.AVAILABLE
