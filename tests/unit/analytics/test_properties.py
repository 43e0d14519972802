"""Figures computed live equal figures rebuilt by replay, under random routing.

A real `Router` is driven by random arrivals, presence changes, answers, ends (with hold time), abandons
and the passing of time (across 15-minute and local-midnight boundaries); the live engine folds each batch
as it is produced and is read between batches, as the server does. Checked after every step: an engine
fed only the stored log (JSON, read back) has the same figures for today, for every 15-minute interval
and every agent; the day's interval (summed from buckets) equals "today" (kept per day); and a console that
took the whole day once and since then only what `changes()` named (agents by state alone for `states`)
shows what a fresh read shows, but for figures that grow with the clock alone; and the light reads a
console makes (`queue_live`, `agent_live`) say what the full figures say.
"""

from __future__ import annotations

import json

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from gateway.acd import Event, InteractionState, NewInteraction, Presence, Router
from gateway.acd._model import Interaction
from gateway.analytics import (
    Granularity,
    MetricsEngine,
    QueueMetricsSpec,
    ServiceLevelDefinition,
    ServiceLevelSpec,
)

from ..acd.helpers import T0
from ..acd.test_properties import AGENT_IDS, AGENTS, CHANNEL_OF, PRESENCES, QUEUES

TZ = "Europe/Paris"  # T0 is 23:13 there: a few steps cross local midnight
SPECS = [
    QueueMetricsSpec(
        q.id,
        ServiceLevelSpec(
            threshold_seconds=10, definition=list(ServiceLevelDefinition)[n % 5], short_abandon_seconds=3
        ),
        agents=frozenset(AGENT_IDS[n:]),
        wrap_up_seconds=q.wrap_up_seconds,
    )
    for n, q in enumerate(QUEUES)
]
_LIVE_Q = {"waiting", "oldest_wait_seconds", "agents_by_state"}
_LIVE_A = {"state", "presence", "presence_reason", "since", "work"}
# what moves with the clock alone, with no event: a console redraws these from its own clock or next push
_CLOCK_Q = {"oldest_wait_seconds"}
_CLOCK_A = {
    "busy_seconds", "wrap_up_seconds", "idle_seconds", "ringing_seconds", "presence_seconds",
    "not_ready_seconds", "occupancy_percent",
}  # fmt: skip


def _engine() -> MetricsEngine:
    return MetricsEngine(SPECS, AGENT_IDS, timezone=TZ)


class MetricsMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.router = Router(queues=QUEUES, agents=AGENTS)
        self.live = _engine()
        self.log: list[str] = []
        self.now = T0
        self.sent = 0
        self.shown: dict[str, dict[str, object]] = {}  # what a console shows, by queue and agent id
        self._show_all()

    @rule(queue=st.sampled_from([q.id for q in QUEUES]), priority=st.integers(0, 2))
    def arrive(self, queue: str, priority: int) -> None:
        self.sent += 1
        new = NewInteraction(id=f"i{self.sent}", queue=queue, channel=CHANNEL_OF[queue], priority=priority)
        self._fold(self.router.enqueue(new, self.now))

    @rule(agent=st.sampled_from(AGENT_IDS), presence=st.sampled_from(PRESENCES))
    def presence(self, agent: str, presence: Presence) -> None:
        self._fold(self.router.set_presence(agent, presence, self.now))

    @precondition(lambda self: self._in(InteractionState.OFFERED))
    @rule(data=st.data(), accept=st.booleans())
    def answer(self, data: st.DataObject, accept: bool) -> None:
        view = data.draw(st.sampled_from(self._in(InteractionState.OFFERED)))
        assert view.agent is not None
        act = self.router.accept if accept else self.router.reject
        self._fold(act(view.id, view.agent, self.now))

    @precondition(lambda self: self._in(InteractionState.ASSIGNED))
    @rule(
        data=st.data(),
        reason=st.sampled_from(["completed", "transferred"]),
        hold=st.sampled_from([0, 2.5, 40]),
    )
    def end(self, data: st.DataObject, reason: str, hold: float) -> None:
        view = data.draw(st.sampled_from(self._in(InteractionState.ASSIGNED)))
        self._fold(self.router.end(view.id, self.now, reason, hold_seconds=hold))

    @precondition(lambda self: self._in(InteractionState.WAITING, InteractionState.OFFERED))
    @rule(data=st.data())
    def abandon(self, data: st.DataObject) -> None:
        view = data.draw(st.sampled_from(self._in(InteractionState.WAITING, InteractionState.OFFERED)))
        self._fold(self.router.abandon(view.id, self.now))

    @rule(seconds=st.sampled_from([0.5, 2, 5, 15, 60, 400, 900]))
    def advance(self, seconds: float) -> None:
        self.now += seconds
        self._fold(self.router.tick(self.now))

    @invariant()
    def replay_has_the_same_figures(self) -> None:
        replayed = _engine()
        for line in self.log:
            replayed.apply(Event.from_dict(json.loads(line)))
        assert replayed.snapshot(self.now) == self.live.snapshot(self.now)
        start, end = T0 - 3600, self.now + 1
        for q in self.live.queue_ids():
            for size in (Granularity.MIN15, Granularity.DAY):
                assert replayed.queue_intervals(q, start, end, size) == self.live.queue_intervals(
                    q, start, end, size
                )
        for a in AGENT_IDS:
            live = self.live.agent_intervals(a, start, end, Granularity.MIN15, self.now)
            assert replayed.agent_intervals(a, start, end, Granularity.MIN15, self.now) == live

    @invariant()
    def the_days_interval_is_today(self) -> None:
        for q in self.live.queue_ids():
            (day,) = self.live.queue_intervals(q, *self.live.today(self.now), Granularity.DAY)
            today = self.live.queue(q, self.now)
            assert _without(day.to_dict(), _LIVE_Q) == _approx(
                _without(today.to_dict(), _LIVE_Q), day.to_dict()
            )
        for a in AGENT_IDS:
            (day_a,) = self.live.agent_intervals(a, *self.live.today(self.now), Granularity.DAY, self.now)
            today_a = self.live.agent(a, self.now)
            assert _without(day_a.to_dict(), _LIVE_A) == _approx(
                _without(today_a.to_dict(), _LIVE_A), day_a.to_dict()
            )

    @invariant()
    def a_live_read_says_what_the_full_figures_say(self) -> None:
        for q in self.live.queue_ids():
            live, today = self.live.queue_live(q, self.now), self.live.queue(q, self.now)
            interval = self.live.queue_interval(q, self.now)
            assert live._asdict() == {
                **{k: today.to_dict()[k] for k in live._fields if not k.startswith("interval_")},
                "interval_start": interval.start,
                "interval_offered": interval.offered,
                "interval_service_level_percent": interval.service_level_percent,
                "interval_longest_wait_seconds": interval.longest_wait_seconds,
                "interval_waits_ended": interval.answered + interval.abandoned + interval.exited,
            }, q
        for a in AGENT_IDS:
            live_a, today_a = self.live.agent_live(a, self.now), self.live.agent(a, self.now)
            assert live_a._asdict() == {k: today_a.to_dict()[k] for k in live_a._fields}, a

    @invariant()
    def a_console_fed_only_changes_shows_what_a_fresh_read_shows(self) -> None:
        if self.live.today(self.now)[0] != self.shown_day:
            self._show_all()  # a new day: the console is sent the whole board again
        for q in self.live.queue_ids():
            assert self.shown[q] == _without(self.live.queue(q, self.now).to_dict(), _CLOCK_Q), q
        for a in AGENT_IDS:
            assert self.shown[a] == _without(self.live.agent(a, self.now).to_dict(), _CLOCK_A), a

    def _show_all(self) -> None:
        self.live.changes()
        self.shown_day = self.live.today(self.now)[0]
        for q in self.live.queue_ids():
            self.shown[q] = _without(self.live.queue(q, self.now).to_dict(), _CLOCK_Q)
        for a in AGENT_IDS:
            self.shown[a] = _without(self.live.agent(a, self.now).to_dict(), _CLOCK_A)

    def _fold(self, events: list[Event]) -> None:
        for event in events:
            self.log.append(json.dumps(event.to_dict()))
            self.live.apply(event)
        changed = self.live.changes()  # read between batches, as the console does
        for q in changed.queues:
            self.shown[q] = _without(self.live.queue(q, self.now).to_dict(), _CLOCK_Q)
        for q in changed.states:
            self.shown[q] = {**self.shown[q], "agents_by_state": self.live.agents_by_state(q)}
        for a in changed.agents:
            self.shown[a] = _without(self.live.agent(a, self.now).to_dict(), _CLOCK_A)

    def _in(self, *states: InteractionState) -> list[Interaction]:
        found = [i for i in self.router._state.interactions.values() if i.state in states]
        return sorted(found, key=lambda i: i.id)


def _without(d: dict[str, object], keys: set[str]) -> dict[str, object]:
    return {k: v for k, v in d.items() if k not in keys}


def _approx(expected: dict[str, object], actual: dict[str, object]) -> dict[str, object]:
    """`expected`, with each float replaced by `actual`'s when they differ only by summation order."""
    out: dict[str, object] = {}
    for key, value in expected.items():
        other = actual.get(key)
        if (
            isinstance(value, float)
            and isinstance(other, float)
            and abs(value - other) <= 1e-6 * max(1, abs(value))
        ):
            out[key] = other
        elif isinstance(value, dict) and isinstance(other, dict):
            out[key] = _approx(value, other)
        else:
            out[key] = value
    return out


TestMetricsProperties = MetricsMachine.TestCase
TestMetricsProperties.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
