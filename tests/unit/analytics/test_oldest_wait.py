"""A queue's live `waiting` and `oldest_wait_seconds` against a plain model of who waits where since when,
under random arrivals, overflows (which keep the first wait, so an older wait can enter a queue), answers and
abandons; long enough for the engine to drop and rebuild what it keeps to find the oldest."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import given, settings

from gateway.acd import JSON, Event
from gateway.analytics import MetricsEngine, QueueMetricsSpec

QUEUES = ("a", "b")
T0 = 1_700_000_000.0

_step = st.one_of(
    st.tuples(st.just("arrive"), st.sampled_from(QUEUES)),
    st.tuples(st.just("overflow"), st.integers(0, 400)),
    st.tuples(st.just("answer"), st.integers(0, 400)),
    st.tuples(st.just("abandon"), st.integers(0, 400)),
)


class _Log:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def add(self, kind: str, at: float, iid: str, agent: str | None = None, **data: JSON) -> None:
        raw: dict[str, JSON] = {"seq": len(self.events) + 1, "type": kind, "at": at, "interaction_id": iid}
        self.events.append(Event.from_dict({**raw, "agent_id": agent, "data": data}))


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(_step, min_size=1, max_size=300))
def test_given_random_queue_traffic_then_waiting_and_oldest_wait_are_the_models(
    steps: list[tuple[str, object]],
) -> None:
    engine = MetricsEngine([QueueMetricsSpec(q) for q in QUEUES], ["x"])
    log, now = _Log(), T0
    waits: dict[str, tuple[str, float]] = {}  # interaction -> (queue, waiting since)
    for n, (kind, arg) in enumerate(steps):
        now += 1.0
        live = sorted(waits)
        if kind == "arrive":
            iid = f"i{n}"
            log.add("received", now, iid, queue=arg, channel="voice", priority=0)
            log.add("queued", now, iid, queue=arg)
            waits[iid] = (str(arg), now)
        elif live:
            iid = live[int(str(arg)) % len(live)]
            queue, since = waits.pop(iid)
            if kind == "overflow":
                other = QUEUES[1 - QUEUES.index(queue)]
                log.add("overflowed", now, iid, to=other)
                log.add("queued", now, iid, queue=other)
                waits[iid] = (other, since)
            elif kind == "answer":
                log.add("assigned", now, iid, "x", queue=queue)
            else:
                log.add("abandoned", now, iid, queue=queue)
        for event in log.events[engine.last_seq :]:
            engine.apply(event)
        for queue in QUEUES:
            here = [since for q, since in waits.values() if q == queue]
            figures = engine.queue(queue, now)
            assert figures.waiting == len(here)
            assert figures.oldest_wait_seconds == (now - min(here) if here else None)


def test_given_one_long_wait_behind_many_answered_when_more_arrive_then_the_next_oldest_follows_it() -> None:
    engine, log = MetricsEngine([QueueMetricsSpec("a")], ["x"]), _Log()
    for n in range(100):
        log.add("received", T0 + n, f"i{n}", queue="a", channel="voice", priority=0)
        log.add("queued", T0 + n, f"i{n}", queue="a")
    for n in range(1, 100):  # all answered but the first: what the engine kept to find them is stale
        log.add("assigned", T0 + 100 + n, f"i{n}", "x", queue="a")
    log.add("received", T0 + 300, "late", queue="a", channel="voice", priority=0)
    log.add("queued", T0 + 300, "late", queue="a")
    for event in log.events:
        engine.apply(event)
    assert (engine.queue("a", T0 + 400).waiting, engine.queue("a", T0 + 400).oldest_wait_seconds) == (
        2,
        400.0,
    )
    log.add("abandoned", T0 + 401, "i0", queue="a")
    engine.apply(log.events[-1])
    assert (engine.queue("a", T0 + 410).waiting, engine.queue("a", T0 + 410).oldest_wait_seconds) == (
        1,
        110.0,
    )
