"""The what-if simulator: the real routing core (`gateway.acd.Router`) driven in virtual time.

Calls arrive as scheduled, agents accept every offer at once and talk for the call's handle time,
callers hang up when their patience runs out; the core decides everything else (matching, wrap-up,
relaxation, overflow, max wait) exactly as it does in production, through its own commands and timers.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from gateway.acd import Event, EventType, InteractionState, NewInteraction, Presence, PresenceKind, Router

from ._workload import Arrival, Team

__all__ = ["IntervalFigures", "Simulation", "SimulationResult"]

_WAITING = (InteractionState.WAITING, InteractionState.OFFERED)


@dataclass(frozen=True, slots=True)
class IntervalFigures:
    """One queue over one interval; calls count in the interval they arrived in."""

    queue: str
    start: float  # epoch seconds
    seconds: float
    offered: int
    answered: int
    answered_in_threshold: int
    abandoned: int
    unserved: int  # exited (max wait, closed) or refused (queue full)
    wait_seconds: float  # summed over answered calls
    busy_seconds: float  # of the agents who may serve the queue
    staffed_seconds: float

    @property
    def service_level(self) -> float | None:
        """Answered within the queue's threshold over answered + abandoned (the core's definition)."""
        settled = self.answered + self.abandoned
        return self.answered_in_threshold / settled if settled else None

    @property
    def asa_seconds(self) -> float | None:
        return self.wait_seconds / self.answered if self.answered else None

    @property
    def abandonment(self) -> float | None:
        return self.abandoned / self.offered if self.offered else None

    @property
    def occupancy(self) -> float | None:
        return self.busy_seconds / self.staffed_seconds if self.staffed_seconds else None


@dataclass(frozen=True, slots=True)
class SimulationResult:
    intervals: tuple[IntervalFigures, ...]
    totals: tuple[IntervalFigures, ...]  # one per queue over the whole horizon
    unanswered_at_end: int  # calls still waiting when nothing else could happen (no agent could serve)

    def total(self, queue: str) -> IntervalFigures:
        return next(t for t in self.totals if t.queue == queue)


class _Kind(IntEnum):  # order breaks ties at one instant: calls end before new ones arrive
    END = 0
    PATIENCE = 1


@dataclass(slots=True)
class _Tally:
    offered: int = 0
    answered: int = 0
    in_threshold: int = 0
    abandoned: int = 0
    unserved: int = 0
    wait: float = 0.0


@dataclass(slots=True)
class _AgentClock:
    work: int = 0
    wrap_up: bool = False
    busy_since: float | None = None
    busy: list[float] = field(default_factory=list)  # seconds per interval


class Simulation:
    """One run over `hours` from `start` (epoch seconds) in intervals of `interval_seconds`."""

    def __init__(
        self,
        *,
        team: Team,
        arrivals: Sequence[Arrival],
        start: float,
        hours: float,
        interval_seconds: float = 1800.0,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        if hours <= 0 or interval_seconds <= 0:
            raise ValueError("simulation: hours and interval must be > 0")
        self._team, self._arrivals, self._start = team, arrivals, start
        self._interval = interval_seconds
        self._count = math.ceil(hours * 3600.0 / interval_seconds - 1e-9)
        self._progress = progress
        self._router = Router(queues=team.queues, agents=team.agents, retain_ended=0)
        self._thresholds = {q.id: q.service_level_seconds for q in team.queues}
        self._tallies = {(q.id, k): _Tally() for q in team.queues for k in range(self._count)}
        self._clocks = {a.id: _AgentClock(busy=[0.0] * self._count) for a in team.agents}
        self._calls: dict[str, Arrival] = {}
        self._heap: list[tuple[float, _Kind, int, str]] = []
        self._order = 0

    def run(self) -> SimulationResult:
        for agent in self._team.agents:
            self._router.set_presence(agent.id, Presence.available(), self._start)
        next_arrival, total, step = 0, len(self._arrivals), max(1, len(self._arrivals) // 100)
        while True:
            t_arrival = self._arrivals[next_arrival].at if next_arrival < total else math.inf
            t_heap = self._heap[0][0] if self._heap else math.inf
            deadline = self._router.next_deadline()
            t_timer = math.inf if deadline is None else deadline - self._start
            now = min(t_arrival, t_heap, t_timer)
            if now == math.inf:
                break
            if t_timer <= now:
                self._apply(self._router.tick(self._start + t_timer), t_timer)
            elif t_heap <= now:
                self._pop(now)
            else:
                self._arrive(next_arrival, now)
                next_arrival += 1
                if self._progress is not None and next_arrival % step == 0:
                    self._progress(next_arrival / total)
        return self._result()

    # -- what happens --------------------------------------------------------------------------------------

    def _arrive(self, index: int, now: float) -> None:
        arrival = self._arrivals[index]
        iid = f"sim-{index}"
        self._calls[iid] = arrival
        tally = self._tally(arrival.queue, now)
        if tally is not None:
            tally.offered += 1
        if arrival.patience_seconds is not None:
            self._push(now + arrival.patience_seconds, _Kind.PATIENCE, iid)
        new = NewInteraction(id=iid, queue=arrival.queue)
        self._apply(self._router.enqueue(new, self._start + now), now)

    def _pop(self, now: float) -> None:
        _, kind, _, iid = heapq.heappop(self._heap)
        if kind is _Kind.END:
            self._apply(self._router.end(iid, self._start + now), now)
            return
        view = self._router.interaction(iid)
        if view is not None and view.state in _WAITING:
            self._apply(self._router.abandon(iid, self._start + now), now)

    def _apply(self, events: list[Event], now: float) -> None:
        touched: set[str] = set()
        for ev in events:
            if ev.type is EventType.OFFERED and ev.interaction_id and ev.agent_id:
                # the agent answers at once: the call's own handle time is all the agent spends on it
                self._apply(self._router.accept(ev.interaction_id, ev.agent_id, self._start + now), now)
            elif ev.type is EventType.ACCEPTED and ev.interaction_id and ev.agent_id:
                self._answered(ev, now)
                self._clocks[ev.agent_id].work += 1
                touched.add(ev.agent_id)
            elif ev.type is EventType.ENDED and ev.agent_id:
                self._clocks[ev.agent_id].work -= 1
                touched.add(ev.agent_id)
            elif ev.type is EventType.PRESENCE_CHANGED and ev.agent_id:
                self._clocks[ev.agent_id].wrap_up = _is_wrap_up(ev)
                touched.add(ev.agent_id)
            elif ev.type is EventType.WRAP_UP_ENDED and ev.agent_id:
                self._clocks[ev.agent_id].wrap_up = False
                touched.add(ev.agent_id)
            elif ev.type in (EventType.ABANDONED, EventType.EXITED, EventType.REFUSED) and ev.interaction_id:
                self._lost(ev, now)
        for agent_id in touched:
            self._clock(agent_id, now)

    def _answered(self, ev: Event, now: float) -> None:
        assert ev.interaction_id is not None
        arrival = self._calls[ev.interaction_id]
        waited = now - arrival.at
        tally = self._tally(arrival.queue, arrival.at)
        if tally is not None:
            tally.answered += 1
            tally.wait += waited
            tally.in_threshold += waited <= self._thresholds[arrival.queue]
        self._push(now + arrival.handle_seconds, _Kind.END, ev.interaction_id)

    def _lost(self, ev: Event, now: float) -> None:
        assert ev.interaction_id is not None
        arrival = self._calls.pop(ev.interaction_id)
        tally = self._tally(arrival.queue, arrival.at)
        if tally is None:
            return
        if ev.type is EventType.ABANDONED:
            tally.abandoned += 1
        else:
            tally.unserved += 1

    # -- bookkeeping ---------------------------------------------------------------------------------------

    def _push(self, at: float, kind: _Kind, iid: str) -> None:
        self._order += 1
        heapq.heappush(self._heap, (at, kind, self._order, iid))

    def _tally(self, queue: str, at: float) -> _Tally | None:
        return self._tallies.get((queue, int(at // self._interval)))

    def _clock(self, agent_id: str, now: float) -> None:
        clock = self._clocks[agent_id]
        busy = clock.work > 0 or clock.wrap_up
        if busy and clock.busy_since is None:
            clock.busy_since = now
        elif not busy and clock.busy_since is not None:
            self._add_busy(clock, clock.busy_since, now)
            clock.busy_since = None

    def _add_busy(self, clock: _AgentClock, begin: float, end: float) -> None:
        k = int(begin // self._interval)
        while begin < end and k < self._count:
            edge = min(end, (k + 1) * self._interval)
            clock.busy[k] += edge - begin
            begin, k = edge, k + 1

    def _result(self) -> SimulationResult:
        horizon = self._count * self._interval
        for clock in self._clocks.values():
            if clock.busy_since is not None:
                self._add_busy(clock, clock.busy_since, horizon)
        intervals = tuple(self._figures(q.id, k) for k in range(self._count) for q in self._team.queues)
        totals = tuple(_sum(q.id, [f for f in intervals if f.queue == q.id]) for q in self._team.queues)
        waiting = sum(v.state in _WAITING for iid in self._calls if (v := self._router.interaction(iid)))
        return SimulationResult(intervals=intervals, totals=totals, unanswered_at_end=waiting)

    def _figures(self, queue: str, k: int) -> IntervalFigures:
        t = self._tallies[(queue, k)]
        agents = self._team.eligible.get(queue, ())
        return IntervalFigures(
            queue=queue,
            start=self._start + k * self._interval,
            seconds=self._interval,
            offered=t.offered,
            answered=t.answered,
            answered_in_threshold=t.in_threshold,
            abandoned=t.abandoned,
            unserved=t.unserved,
            wait_seconds=t.wait,
            busy_seconds=sum(self._clocks[a].busy[k] for a in agents),
            staffed_seconds=len(agents) * self._interval,
        )


def _is_wrap_up(ev: Event) -> bool:
    presence = ev.data.get("presence")
    return isinstance(presence, dict) and presence.get("kind") == str(PresenceKind.WRAP_UP)


def _sum(queue: str, parts: list[IntervalFigures]) -> IntervalFigures:
    return IntervalFigures(
        queue=queue,
        start=parts[0].start if parts else 0.0,
        seconds=sum(p.seconds for p in parts),
        offered=sum(p.offered for p in parts),
        answered=sum(p.answered for p in parts),
        answered_in_threshold=sum(p.answered_in_threshold for p in parts),
        abandoned=sum(p.abandoned for p in parts),
        unserved=sum(p.unserved for p in parts),
        wait_seconds=sum(p.wait_seconds for p in parts),
        busy_seconds=sum(p.busy_seconds for p in parts),
        staffed_seconds=sum(p.staffed_seconds for p in parts),
    )
