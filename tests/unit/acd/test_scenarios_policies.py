"""Queue policy scenarios, given/when/then: relaxation, max wait exits, queue length, hours, aging, replay."""

from __future__ import annotations

from gateway.acd import (
    BusinessHours,
    EventType,
    ExclusionReason,
    ExitAction,
    ExitKind,
    InteractionState,
    OpeningWindow,
    Presence,
    RelaxationKind,
    RelaxationStep,
    Router,
)

from .helpers import T0, agent, call, make_router, members, offers, queue, skills, types


def _step(after: float, kind: RelaxationKind, **options: object) -> tuple[RelaxationStep, ...]:
    return (RelaxationStep(after_seconds=after, kind=kind, **options),)  # type: ignore[arg-type]


def test_given_level_too_high_when_lower_level_step_fires_then_lesser_agent_is_offered() -> None:
    q = queue(
        "support",
        skills=skills(("billing", 8)),
        relaxation=_step(30, RelaxationKind.LOWER_LEVEL, skill="billing", to_level=5),
    )
    router = make_router([q], [agent("a", ("billing", 5))], available=["a"])
    router.enqueue(call("c1"), T0 + 10)
    assert router.trace("c1")[0].excluded[0].reason is ExclusionReason.LEVEL
    assert router.next_deadline() == T0 + 40
    events = router.tick(T0 + 40)
    assert types(events) == [EventType.RELAXED, EventType.OFFERED]
    assert router.interaction("c1").skills == (("billing", 5),)  # type: ignore[union-attr]
    assert router.trace("c1")[-1].trigger == "relaxed"


def test_given_missing_skill_when_drop_skill_step_fires_then_agent_without_it_is_offered() -> None:
    q = queue(
        "support",
        skills=skills(("billing", 1), ("spanish", 1)),
        relaxation=_step(20, RelaxationKind.DROP_SKILL, skill="spanish"),
    )
    router = make_router([q], [agent("a", ("billing", 5))], available=["a"])
    router.enqueue(call("c1"), T0 + 10)
    assert router.trace("c1")[0].excluded[0].reason is ExclusionReason.SKILL
    assert offers(router.tick(T0 + 30)) == [("c1", "a")]


def test_given_members_busy_when_widen_step_fires_then_other_queue_members_are_offered() -> None:
    q = queue("vip", members=members("v"), relaxation=_step(15, RelaxationKind.WIDEN_QUEUE, queue="general"))
    router = make_router(
        [q, queue("general", members=members("g"))], [agent("v"), agent("g")], available=["g"]
    )
    router.enqueue(call("c1", "vip"), T0 + 10)
    assert [(e.agent_id, e.reason) for e in router.trace("c1")[0].excluded] == [
        ("v", ExclusionReason.PRESENCE)
    ]
    assert offers(router.tick(T0 + 25)) == [("c1", "g")]
    assert router.interaction("c1").widened_to == ("general",)  # type: ignore[union-attr]


def test_given_widened_call_waiting_when_other_queue_member_frees_then_it_is_offered() -> None:
    q = queue("vip", members=members("v"), relaxation=_step(15, RelaxationKind.WIDEN_QUEUE, queue="general"))
    router = make_router([q, queue("general", members=members("g"))], [agent("v"), agent("g")])
    router.enqueue(call("c1", "vip"), T0 + 10)
    router.tick(T0 + 25)
    assert offers(router.set_presence("g", Presence.available(), T0 + 30)) == [("c1", "g")]


def test_given_sticky_agent_busy_when_drop_preferred_step_fires_then_any_agent_is_offered() -> None:
    q = queue("support", relaxation=_step(60, RelaxationKind.DROP_PREFERRED))
    router = make_router([q], [agent("a"), agent("b")], available=["a"])
    router.enqueue(call("c1", preferred_agent="b"), T0 + 10)
    decision = router.trace("c1")[0]
    assert decision.chosen_agent is None
    assert [(e.agent_id, e.reason) for e in decision.excluded] == [("b", ExclusionReason.PRESENCE)]
    assert router.interaction("c1").waits_for_preferred  # type: ignore[union-attr]
    assert offers(router.tick(T0 + 70)) == [("c1", "a")]


def test_given_call_waiting_for_sticky_agent_when_that_agent_becomes_available_then_it_is_offered() -> None:
    q = queue("support", relaxation=_step(60, RelaxationKind.DROP_PREFERRED))
    router = make_router([q], [agent("a"), agent("b")], available=["a"])
    router.enqueue(call("c1", preferred_agent="b"), T0 + 10)
    router.set_presence("a", Presence.not_ready("x"), T0 + 11)
    router.set_presence("a", Presence.available(), T0 + 12)  # a frees but must not take b's caller
    assert router.agent("a").offered == ()
    assert offers(router.set_presence("b", Presence.available(), T0 + 20)) == [("c1", "b")]


def test_given_max_wait_overflow_when_it_fires_then_call_moves_keeping_its_enqueue_time() -> None:
    q = queue(
        "first",
        members=members("a"),
        max_wait_seconds=60,
        max_wait_exit=ExitAction(ExitKind.OVERFLOW, queue="second"),
    )
    second = queue("second", members=members("b"))
    router = make_router([q, second], [agent("a"), agent("b")])
    router.enqueue(call("c1", "first"), T0 + 10)
    router.enqueue(call("later", "second"), T0 + 30)  # arrived later in "second", so c1 goes first
    events = router.tick(T0 + 70)
    assert types(events) == [EventType.OVERFLOWED, EventType.QUEUED]
    view = router.interaction("c1")
    assert view is not None and view.queue == "second" and view.enqueue_time == T0 + 10
    assert offers(router.set_presence("b", Presence.available(), T0 + 80)) == [("c1", "b")]


def test_given_max_wait_exit_kinds_when_they_fire_then_the_exit_is_reported() -> None:
    for kind in (ExitKind.VOICEMAIL, ExitKind.CALLBACK, ExitKind.DISCONNECT):
        q = queue("support", max_wait_seconds=30, max_wait_exit=ExitAction(kind))
        router = make_router([q], [agent("a")])
        router.enqueue(call("c1"), T0)
        assert router.tick(T0 + 29) == []
        [event] = router.tick(T0 + 30)
        assert (event.type, event.data["kind"], event.data["reason"]) == (
            EventType.EXITED,
            str(kind),
            "max_wait",
        )
        assert router.interaction("c1").end_reason == f"max_wait:{kind}"  # type: ignore[union-attr]
        assert router.queue_snapshot("support").waiting == 0


def test_given_offer_ringing_past_max_wait_when_it_is_rejected_then_the_exit_fires_on_next_tick() -> None:
    q = queue(
        "support", max_wait_seconds=30, offer_timeout_seconds=60, max_wait_exit=ExitAction(ExitKind.CALLBACK)
    )
    router = make_router([q], [agent("a")], available=["a"])
    router.enqueue(call("c1"), T0 + 10)
    assert router.tick(T0 + 40) == []  # still ringing: no exit
    router.reject("c1", "a", T0 + 45)
    assert router.next_deadline() == T0 + 45
    assert types(router.tick(T0 + 45)) == [EventType.EXITED]


def test_given_full_queue_when_call_arrives_then_it_is_refused_with_the_reason() -> None:
    router = make_router([queue("support", max_length=2)], [agent("a")])
    router.enqueue(call("c1"), T0)
    router.enqueue(call("c2"), T0)
    events = router.enqueue(call("c3"), T0)
    assert types(events) == [EventType.RECEIVED, EventType.REFUSED]
    assert events[1].data == {"queue": "support", "reason": "queue_full", "max_length": 2}
    assert router.interaction("c3").end_reason == "refused:queue_full"  # type: ignore[union-attr]


OFFICE = BusinessHours(
    name="office", timezone="Europe/Paris", windows=tuple(OpeningWindow(d, 9 * 60, 18 * 60) for d in range(5))
)


def test_given_closed_hours_when_call_arrives_then_closed_exit_is_reported() -> None:
    router = make_router([queue("support", business_hours=OFFICE)], [agent("a")], available=["a"])
    events = router.enqueue(call("c1"), T0)  # Tuesday 23:13 in Paris
    assert types(events) == [EventType.RECEIVED, EventType.EXITED]
    assert (events[1].data["kind"], events[1].data["reason"]) == ("voicemail", "closed")


def test_given_open_hours_when_call_arrives_then_it_is_offered() -> None:
    router = make_router(
        [queue("support", business_hours=OFFICE)], [agent("a")], available=["a"], at=T0 - 43200
    )
    assert offers(router.enqueue(call("c1"), T0 - 43000)) == [("c1", "a")]  # Tuesday 11:16 in Paris


def test_given_holiday_when_call_arrives_in_opening_hours_then_closed_overflow_goes_to_the_other_queue() -> (
    None
):
    hours = BusinessHours(
        name="office", timezone="Europe/Paris", windows=OFFICE.windows, closed_dates=("2023-11-14",)
    )
    q = queue("support", business_hours=hours, closed_exit=ExitAction(ExitKind.OVERFLOW, queue="night"))
    router = make_router([q, queue("night")], [agent("a")])
    events = router.enqueue(call("c1"), T0 - 43000)
    assert types(events) == [EventType.RECEIVED, EventType.OVERFLOWED, EventType.QUEUED]
    assert router.interaction("c1").queue == "night"  # type: ignore[union-attr]


def test_given_priority_aging_when_low_priority_call_waited_long_then_it_overtakes_newer_high_priority() -> (
    None
):
    router = make_router([queue("support", priority_aging_seconds=10)], [agent("a")])
    router.enqueue(call("old", priority=0), T0)  # effective 3 at T0 + 35
    router.enqueue(call("new", priority=2), T0 + 30)  # effective 2
    assert offers(router.set_presence("a", Presence.available(), T0 + 35)) == [("old", "a")]


def test_given_priority_aging_when_effective_priorities_tie_then_oldest_wins() -> None:
    router = make_router([queue("support", priority_aging_seconds=10)], [agent("a")])
    router.enqueue(call("old", priority=0), T0)  # effective 1 at T0 + 15, older
    router.enqueue(call("new", priority=1), T0 + 10)  # effective 1 at T0 + 15
    assert offers(router.set_presence("a", Presence.available(), T0 + 15)) == [("old", "a")]


def test_given_a_day_of_events_when_replayed_then_the_state_is_the_same() -> None:
    q = queue(
        "support",
        wrap_up_seconds=5,
        relaxation=_step(10, RelaxationKind.DROP_PREFERRED),
        max_wait_seconds=100,
    )
    router = make_router([q], [agent("a"), agent("b")], available=["a"])
    router.enqueue(call("c1"), T0 + 10)
    router.enqueue(call("c2", preferred_agent="b"), T0 + 11)
    router.accept("c1", "a", T0 + 12)
    router.tick(T0 + 21)
    router.end("c1", T0 + 30)
    router.tick(T0 + 35)
    events = router.store.read()
    twin = Router.replay(router.queues, router.agents, events)
    assert twin.snapshot() == router.snapshot()
    assert twin.next_deadline() == router.next_deadline()
    assert twin.interaction("c2").state is InteractionState.OFFERED  # type: ignore[union-attr]
    more = twin.enqueue(call("c3"), T0 + 40)
    assert more[0].seq == events[-1].seq + 1


def test_given_a_callback_when_queue_is_closed_then_it_waits_past_max_wait_for_the_next_agent() -> None:
    q = queue(
        "support", business_hours=OFFICE, max_wait_seconds=30, max_wait_exit=ExitAction(ExitKind.CALLBACK)
    )
    router = make_router([q], [agent("a")])
    kept_place = T0 - 600  # the caller waited 10 minutes before the callback was registered

    events = router.enqueue(call("cb", callback=True, enqueue_time=kept_place), T0)  # closed: Tuesday 23:13
    router.tick(T0 + 3600)  # an hour later: far past the max wait
    offered = router.set_presence("a", Presence.available(), T0 + 3601)

    assert types(events) == [EventType.RECEIVED, EventType.QUEUED]
    assert offers(offered) == [("cb", "a")]
    view = router.interaction("cb")
    assert view is not None and view.callback and view.enqueue_time == kept_place
    assert Router.replay([q], [agent("a")], router.store.read()).snapshot() == router.snapshot()
