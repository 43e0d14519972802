"""How much of its history the core keeps: the last decisions of each interaction (`trace_depth`), and the
last ended interactions (`retain_ended`), forgotten with their traces."""

from __future__ import annotations

import pytest

from gateway.acd import Presence, Router, Trigger

from .helpers import T0, agent, call, queue


def _decided_three_times(router: Router) -> None:
    router.enqueue(call("c1"), T0)  # nobody is signed in: decision 1
    router.set_presence("a", Presence.available(), T0 + 1)  # offered to a: decision 2
    router.reject("c1", "a", T0 + 2)  # back in the queue, b is offline: decision 3


@pytest.mark.parametrize(
    ("depth", "kept"),
    [
        (32, [Trigger.ARRIVED, Trigger.AGENT_FREE, Trigger.RETURNED]),
        (2, [Trigger.AGENT_FREE, Trigger.RETURNED]),
        (1, [Trigger.RETURNED]),
        (0, []),
    ],
)
def test_given_a_trace_depth_when_an_interaction_is_decided_three_times_then_the_last_ones_are_kept(
    depth: int, kept: list[Trigger]
) -> None:
    router = Router(queues=[queue("support")], agents=[agent("a"), agent("b")], trace_depth=depth)
    _decided_three_times(router)
    trace = router.trace("c1")
    assert [d.trigger for d in trace] == kept
    if kept and kept[-1] is Trigger.RETURNED:
        assert trace[-1].chosen_agent is None
        assert {(e.agent_id, str(e.reason)) for e in trace[-1].excluded} >= {("a", "declined_before")}


def test_given_two_ended_kept_when_a_third_ends_then_the_oldest_goes_with_its_trace() -> None:
    router = Router(queues=[queue("support")], agents=[agent("a")], retain_ended=2)
    router.set_presence("a", Presence.available(), T0)
    for n in range(1, 4):
        iid = f"c{n}"
        router.enqueue(call(iid), T0 + 10 * n)
        router.accept(iid, "a", T0 + 10 * n + 1)
        router.end(iid, T0 + 10 * n + 2)
    assert router.interaction("c1") is None
    assert router.trace("c1") == ()
    for iid in ("c2", "c3"):
        view = router.interaction(iid)
        assert view is not None and view.end_reason == "completed"
        [decision] = router.trace(iid)
        assert (decision.trigger, decision.chosen_agent, decision.chosen_interaction) == (
            Trigger.ARRIVED,
            "a",
            iid,
        )
