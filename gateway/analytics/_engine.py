"""`MetricsEngine`: every contact-center figure, folded from routing events one at a time.

Pure and incremental: `apply(event)` does no I/O and reads no clock, so live figures and figures rebuilt
by replaying the event log are the same. Counts land in the 15-minute bucket of the event that caused
them; time spent in a state is spread over the buckets it covers; "today" and any interval are sums of
buckets, plus, for an agent, the state they are still in up to `now`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from gateway.acd import JSON, Event, EventType

from ._calendar import Granularity, Period, day_of, periods, zone
from ._counters import BUCKET_SECONDS, AgentCounters, QueueCounters, bucket_of, spread, summed
from ._figures import (
    AgentFigures,
    AgentLive,
    Changes,
    QueueFigures,
    QueueLive,
    Snapshot,
    abandonment,
    agent_figures,
    aht,
    asa,
    met,
    occupancy,
    queue_figures,
    service_level,
)
from ._ivr import IvrLedger, IvrNodeFigures, IvrTotals
from ._ledger import Agent, Closing, Scope, Waiting, Work, spend
from ._specs import QueueMetricsSpec, ServiceLevelSpec
from .errors import UnknownScope

__all__ = ["MetricsEngine"]

_DEFAULT_SL = ServiceLevelSpec()
_NO_QUEUE_COUNTS = QueueCounters()  # read, never added to: what a queue has counted in a period without any
_NO_AGENT_COUNTS = AgentCounters()


def _text(data: Mapping[str, JSON], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _number(data: Mapping[str, JSON], key: str) -> float | None:
    value = data.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class MetricsEngine:
    def __init__(
        self, queues: Sequence[QueueMetricsSpec], agents: Iterable[str] = (), *, timezone: str = "UTC"
    ) -> None:
        self.tz = zone(timezone)
        self._specs = {q.id: q for q in queues}
        self._queues: dict[str, Scope[QueueCounters]] = {q.id: Scope(QueueCounters) for q in queues}
        self._agent_scopes: dict[str, Scope[AgentCounters]] = {}
        self._day: Period = (0.0, 0.0)
        self._agents: dict[str, Agent] = {a: Agent() for a in agents}
        self._queues_of: dict[str, list[str]] = {}
        self._by_state: dict[str, dict[str, int]] = {}  # per queue: its agents by state, kept as they change
        self._counts_of: dict[str, list[dict[str, int]]] = {}  # per agent: its queues' `_by_state` counts
        for q in queues:
            self._by_state[q.id] = {"offline": len(q.agents)} if q.agents else {}
            for a in q.agents:
                self._agents.setdefault(a, Agent())
                self._queues_of.setdefault(a, []).append(q.id)
                self._counts_of.setdefault(a, []).append(self._by_state[q.id])
        self._work: dict[str, Work] = {}
        self._ringing_at: dict[str, str] = {}  # interaction -> the agent its offer rings at
        self._waiting: dict[str, Waiting] = {q.id: Waiting() for q in queues}
        # what a live view must re-read: queues whose figures or waiting work changed, queues whose agents by
        # state alone changed, agents whose figures, state or work changed
        self._touched_queues: set[str] = set()
        self._touched_states: set[str] = set()
        self._touched_agents: set[str] = set()
        self._ivr = IvrLedger()
        self.last_seq = 0
        self._day_fn = self._day_of  # bound once: counters are looked up several times per event
        self._steps: dict[EventType, Callable[[Event], None]] = {
            EventType.RECEIVED: self._received,
            EventType.QUEUED: self._queued,
            EventType.REFUSED: self._refused,
            EventType.OFFERED: self._offered,
            EventType.ACCEPTED: self._accepted,
            EventType.ASSIGNED: self._assigned,
            EventType.REJECTED: self._rejected,
            EventType.TIMED_OUT: self._timed_out,
            EventType.OFFER_REVOKED: self._revoked,
            EventType.OVERFLOWED: self._overflowed,
            EventType.EXITED: self._exited,
            EventType.ABANDONED: self._abandoned,
            EventType.ENDED: self._ended,
            EventType.PRESENCE_CHANGED: self._presence_changed,
            EventType.WRAP_UP_ENDED: self._wrap_up_ended,
            EventType.IVR: lambda ev: self._ivr.apply(ev, self._day_fn),
        }

    # -- folding --------------------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Fold one event. Events must come in `seq` order; one already applied is ignored."""
        if event.seq <= self.last_seq:
            return
        self.last_seq = event.seq
        step = self._steps.get(event.type)
        if step is not None:
            step(event)

    def changed(self) -> bool:
        """Whether any queue or agent was touched since `changes()` was last called."""
        return bool(self._touched_queues or self._touched_states or self._touched_agents)

    def changes(self) -> Changes:
        """What changed since the last call: the one read of it, by the one live view (the console)."""
        queues = frozenset(self._touched_queues)
        done = Changes(queues, frozenset(self._touched_agents), frozenset(self._touched_states - queues))
        self._touched_queues.clear()
        self._touched_states.clear()
        self._touched_agents.clear()
        return done

    def _received(self, ev: Event) -> None:
        if ev.interaction_id is not None:
            queue = _text(ev.data, "queue") or ""
            self._work[ev.interaction_id] = Work(queue)

    def _queued(self, ev: Event) -> None:
        work = self._followed(ev)
        if work is None:
            return
        work.queue = _text(ev.data, "queue") or work.queue
        if work.queued_at is None:
            work.queued_at = ev.at
        for c in self._counters(work, ev.at):
            c.offered += 1
        self._touched_queues.add(work.queue)
        waiting = self._waiting.get(work.queue)
        if waiting is None:
            waiting = self._waiting[work.queue] = Waiting()
        waiting.add(ev.interaction_id or "", work.queued_at)

    def _refused(self, ev: Event) -> None:
        work = self._followed(ev)
        if work is not None:
            work.queue = _text(ev.data, "queue") or work.queue
            for c in self._counters(work, ev.at):
                c.refused += 1
            self._gone(ev)

    def _offered(self, ev: Event) -> None:
        self._followed(ev)  # the waiting work's state (a console lists it)
        if ev.agent_id is not None:
            self._unring(ev)
            if ev.interaction_id is not None:
                agent = self._advance(ev.agent_id, ev.at)
                starts = not agent.ringing and not agent.work and agent.presence == "available"
                agent.ringing[ev.interaction_id] = None
                self._ringing_at[ev.interaction_id] = ev.agent_id
                if starts:  # available -> ringing
                    agent.entered = ev.at
                    self._moved(ev.agent_id, "available", "ringing")
            for c in self._agent_counters(ev.agent_id, ev.at):
                c.offers += 1

    def _assigned(self, ev: Event) -> None:
        self._unring(ev)
        work, agent_id = self._followed(ev), ev.agent_id
        if work is None or agent_id is None:
            return
        self._unwait(work, ev)
        wait = max(0.0, ev.at - (work.queued_at if work.queued_at is not None else ev.at))
        threshold = self._sl(work.queue).threshold_seconds
        for c in self._counters(work, ev.at):
            c.answered += 1
            c.answered_in_threshold += wait <= threshold
            c.answer_wait_total += wait
            c.longest_wait = max(c.longest_wait, wait)
        work.agent, work.assigned_at = agent_id, ev.at
        self._take(agent_id, ev.interaction_id or "", ev.at)
        for a in self._agent_counters(agent_id, ev.at):
            a.answered += 1

    def _accepted(self, ev: Event) -> None:
        """Nothing to count: the work's state changed (a console lists it, with the agent's work)."""
        self._followed(ev)
        if ev.agent_id is not None:
            self._touched_agents.add(ev.agent_id)

    def _revoked(self, ev: Event) -> None:
        self._unring(ev)
        self._followed(ev)

    def _rejected(self, ev: Event) -> None:
        self._unring(ev)
        self._followed(ev)
        if ev.agent_id is not None:
            for c in self._agent_counters(ev.agent_id, ev.at):
                c.rejected += 1

    def _timed_out(self, ev: Event) -> None:
        self._unring(ev)
        work = self._followed(ev)
        if work is not None:
            for c in self._counters(work, ev.at):
                c.missed_offers += 1
        if ev.agent_id is not None:
            for a in self._agent_counters(ev.agent_id, ev.at):
                a.missed += 1

    def _overflowed(self, ev: Event) -> None:
        self._unring(ev)
        work = self._followed(ev)
        if work is None:
            return
        self._unwait(work, ev)
        moved = _text(ev.data, "reason") == "moved"  # by a supervisor, not by the queue's rules
        for c in self._counters(work, ev.at):
            if moved:
                c.moved += 1
            else:
                c.overflowed += 1
        work.queue = _text(ev.data, "to") or work.queue

    def _exited(self, ev: Event) -> None:
        self._unring(ev)
        work = self._followed(ev)
        if work is None:
            return
        self._unwait(work, ev)
        wait = self._waited(work, ev.at)
        for c in self._counters(work, ev.at):
            c.exited += 1
            c.longest_wait = max(c.longest_wait, wait)
        self._gone(ev)

    def _abandoned(self, ev: Event) -> None:
        self._unring(ev)
        work = self._followed(ev)
        if work is None:
            return
        self._unwait(work, ev)
        wait, sl = self._waited(work, ev.at), self._sl(work.queue)
        short = wait < sl.short_abandon_seconds
        late = wait > sl.threshold_seconds
        for c in self._counters(work, ev.at):
            c.abandoned += 1
            c.abandoned_short += short
            c.abandoned_after_threshold += late
            c.abandoned_after_threshold_short += late and short
            c.longest_wait = max(c.longest_wait, wait)
        self._gone(ev)

    def _ended(self, ev: Event) -> None:
        work, agent_id = self._followed(ev), ev.agent_id
        if work is None or agent_id is None or work.assigned_at is None:
            self._gone(ev)
            return
        agent = self._drop(agent_id, ev.interaction_id or "", ev.at)
        busy = max(0.0, ev.at - work.assigned_at)
        hold = min(busy, max(0.0, _number(ev.data, "hold_seconds") or 0.0))
        closing = Closing(work.queue, ev.at, busy - hold, hold)
        if _text(ev.data, "reason") == "transferred":
            for c in self._counters(work, ev.at):
                c.transfers += 1
            for a in self._agent_counters(agent_id, ev.at):
                a.transfers += 1
        if self._wraps_up(ev, work.queue, agent):
            agent.closing.append(closing)
        else:
            self._handled(agent_id, closing, ev.at)
        self._gone(ev)

    def _wraps_up(self, ev: Event, queue: str, agent: Agent) -> bool:
        said = ev.data.get("wrap_up")
        if isinstance(said, bool):
            return said
        # written before `ended` said so: the router's own rule, from the queue's configuration
        spec = self._specs.get(queue)
        return spec is not None and spec.wrap_up_seconds > 0 and agent.presence in ("available", "wrap_up")

    def _presence_changed(self, ev: Event) -> None:
        if ev.agent_id is None:
            return
        presence = ev.data.get("presence")
        kind = _text(presence, "kind") if isinstance(presence, dict) else None
        reason = _text(presence, "reason") if isinstance(presence, dict) else None
        self._set_presence(ev.agent_id, kind or "offline", reason, ev.at)

    def _wrap_up_ended(self, ev: Event) -> None:
        if ev.agent_id is not None:
            self._set_presence(ev.agent_id, "available", None, ev.at)

    def _set_presence(self, agent_id: str, kind: str, reason: str | None, at: float) -> None:
        agent = self._advance(agent_id, at)
        before, state = (agent.presence, agent.reason), agent.state
        agent.presence, agent.reason = kind, reason
        if (kind, reason) != before or agent.entered is None:
            agent.entered = at
        if agent.state != state:
            self._moved(agent_id, state, agent.state)
        if kind != "wrap_up" and agent.closing:
            closing, agent.closing = agent.closing, []
            for done in closing:
                self._handled(agent_id, done, at)

    def _handled(self, agent_id: str, done: Closing, at: float) -> None:
        wrap = at - done.ended_at
        for c in (*self._queue_counters(done.queue, at), *self._agent_counters(agent_id, at)):
            c.handled += 1
            c.talk_total += done.talk
            c.hold_total += done.hold
            c.wrap_total += wrap
        self._touched_queues.add(done.queue)

    # -- bookkeeping ------------------------------------------------------------------------------------

    def _followed(self, ev: Event) -> Work | None:
        work = self._work.get(ev.interaction_id or "")
        if work is not None:
            self._touched_queues.add(work.queue)
        return work

    def _unring(self, ev: Event) -> None:
        """The offer of `ev`'s interaction no longer rings (if it did): its agent's time up to now was
        ringing time."""
        agent_id = self._ringing_at.pop(ev.interaction_id or "", None)
        if agent_id is not None:
            agent = self._advance(agent_id, ev.at)
            agent.ringing.pop(ev.interaction_id or "", None)
            if not agent.ringing and not agent.work and agent.presence == "available":  # ringing -> available
                agent.entered = ev.at
                self._moved(agent_id, "ringing", "available")

    def _gone(self, ev: Event) -> None:
        self._work.pop(ev.interaction_id or "", None)

    def _unwait(self, work: Work, ev: Event) -> None:
        waiting = self._waiting.get(work.queue)
        if waiting is not None:
            waiting.remove(ev.interaction_id or "")

    @staticmethod
    def _waited(work: Work, at: float) -> float:
        return max(0.0, at - work.queued_at) if work.queued_at is not None else 0.0

    def _sl(self, queue: str) -> ServiceLevelSpec:
        spec = self._specs.get(queue)
        return spec.service_level if spec is not None else _DEFAULT_SL

    def _day_of(self, at: float) -> float:
        day = self._day
        if not day[0] <= at < day[1]:
            day = self._day = day_of(at, self.tz)
        return day[0]

    def _counters(self, work: Work, at: float) -> tuple[QueueCounters, QueueCounters]:
        """What a fact about `work` at `at` counts into: its queue's bucket and day."""
        return self._queue_counters(work.queue, at)

    def _queue_counters(self, queue: str, at: float) -> tuple[QueueCounters, QueueCounters]:
        scope = self._queues.get(queue)
        if scope is None:
            scope = self._queues[queue] = Scope(QueueCounters)
        return scope.at(at, self._day_fn)

    def _agent_scope(self, agent_id: str) -> Scope[AgentCounters]:
        scope = self._agent_scopes.get(agent_id)
        if scope is None:
            scope = self._agent_scopes[agent_id] = Scope(AgentCounters)
        return scope

    def _agent_counters(self, agent_id: str, at: float) -> tuple[AgentCounters, AgentCounters]:
        self._touched_agents.add(agent_id)
        return self._agent_scope(agent_id).at(at, self._day_fn)

    # An agent's state (busy or its presence) and when it was entered change with its work and presence;
    # spelt out per change rather than one generic comparison: two of them run for every answered call.

    def _take(self, agent_id: str, interaction_id: str, at: float) -> None:
        agent = self._advance(agent_id, at)
        before = agent.state
        agent.work[interaction_id] = None
        if before != "busy" or agent.entered is None:
            agent.entered = at
        if before != "busy":
            self._moved(agent_id, before, "busy")

    def _drop(self, agent_id: str, interaction_id: str, at: float) -> Agent:
        agent = self._advance(agent_id, at)
        was_busy = bool(agent.work)
        agent.work.pop(interaction_id, None)
        freed = was_busy and not agent.work
        if freed or agent.entered is None:
            agent.entered = at
        if freed:
            self._moved(agent_id, "busy", agent.state)
        return agent

    def _moved(self, agent_id: str, before: str, now: str) -> None:
        """The agent's state changed: so did agents-by-state of each queue they can take work from."""
        queues = self._queues_of.get(agent_id)
        if queues:
            for counts in self._counts_of[agent_id]:
                counts[before] -= 1
                counts[now] = counts.get(now, 0) + 1
            self._touched_states.update(queues)

    def _advance(self, agent_id: str, at: float) -> Agent:
        """Close the agent's current state at `at` (its time goes to the buckets it covers)."""
        agent = self._agents.get(agent_id)
        if agent is None:
            agent = self._agents[agent_id] = Agent()
        since = agent.since
        if since is None or at > since:
            if since is not None:
                self._spend(agent_id, agent, since, at)
            agent.since = at
        self._touched_agents.add(agent_id)
        return agent

    def _spend(self, agent_id: str, agent: Agent, since: float, at: float) -> None:
        scope = self._agent_scope(agent_id)
        bucket, day = scope.at(since, self._day_fn)
        if at <= scope.end:  # the usual: within one bucket (so within its day: no bucket spans two days)
            spend(bucket, agent, at - since)
            spend(day, agent, at - since)
            return
        spread(since, at, lambda b, s: spend(scope.at(b, self._day_fn)[0], agent, s))
        start = since
        self._day_of(start)
        while start < at:  # the same time into the day (or days) it covers
            end = min(at, self._day[1])
            spend(scope.at(start, self._day_fn)[1], agent, end - start)
            start = end
            if start < at:
                self._day_of(start)

    # -- reading ----------------------------------------------------------------------------------------

    def queue_ids(self) -> list[str]:
        return sorted(self._queues)

    def agent_ids(self) -> list[str]:
        return sorted(self._agents)

    def agent_state(self, agent_id: str) -> str:
        """offline, available, ringing (an offer rings, no work yet), busy (holding work), wrap_up or
        not_ready."""
        agent = self._agents.get(agent_id)
        if agent is None:
            raise UnknownScope("agent", agent_id)
        return agent.state

    def today(self, now: float) -> Period:
        self._day_of(now)
        return self._day

    def queue(self, queue_id: str, now: float) -> QueueFigures:
        """The queue's figures for the local day of `now`, with what waits in it now."""
        if queue_id not in self._queues:
            raise UnknownScope("queue", queue_id)
        day = self.today(now)
        counters = self._queues[queue_id].days.get(day[0]) or QueueCounters()
        waiting, oldest_wait = self._waiting_now(queue_id, now)
        return queue_figures(
            queue_id,
            day,
            counters,
            self._sl(queue_id),
            waiting=waiting,
            oldest_wait_seconds=oldest_wait,
            agents_by_state=self.agents_by_state(queue_id),
        )

    def _waiting_now(self, queue_id: str, now: float) -> tuple[int, float | None]:
        """How many wait in the queue now, and how long the oldest of them has waited."""
        waiting = self._waiting.get(queue_id)
        if waiting is None:
            return 0, None
        oldest = waiting.oldest()
        return len(waiting.since), None if oldest is None else now - oldest

    def agents_by_state(self, queue_id: str) -> dict[str, int]:
        """How many of the queue's agents are in each state now (states nobody is in left out)."""
        return {k: n for k, n in self._by_state.get(queue_id, {}).items() if n}

    def agent(self, agent_id: str, now: float) -> AgentFigures:
        """The agent's figures for the local day of `now`, with the state they are in now."""
        agent = self._agents.get(agent_id)
        if agent is None:
            raise UnknownScope("agent", agent_id)
        day = self.today(now)
        scope = self._agent_scopes.get(agent_id)
        kept = scope.days.get(day[0]) if scope is not None else None
        counters = kept.copy() if kept is not None else AgentCounters()
        return agent_figures(
            agent_id,
            day,
            self._open(counters, agent, day, now),
            state=agent.state,
            presence=agent.presence,
            presence_reason=agent.reason,
            since=agent.entered,
            work=tuple(agent.work),
        )

    def queue_live(self, queue_id: str, now: float) -> QueueLive:
        """`queue(queue_id, now)` and `queue_interval(queue_id, now)` in the few figures a live view shows."""
        scope = self._queues.get(queue_id)
        if scope is None:
            raise UnknownScope("queue", queue_id)
        c = scope.days.get(self._day_of(now)) or _NO_QUEUE_COUNTS
        start = bucket_of(now)
        b = scope.buckets.get(start) or _NO_QUEUE_COUNTS
        spec = self._sl(queue_id)
        sl = service_level(c, spec)
        waiting, oldest_wait = self._waiting_now(queue_id, now)
        return QueueLive(
            waiting,
            oldest_wait,
            self.agents_by_state(queue_id),
            c.offered,
            c.answered,
            c.abandoned,
            sl,
            met(sl, spec),
            asa(c),
            aht(c),
            abandonment(c),
            start,
            b.offered,
            service_level(b, spec),
            b.longest_wait,
            b.answered + b.abandoned + b.exited,
        )

    def agent_live(self, agent_id: str, now: float) -> AgentLive:
        """`agent(agent_id, now)` in the few figures a live view shows."""
        agent = self._agents.get(agent_id)
        if agent is None:
            raise UnknownScope("agent", agent_id)
        day = self.today(now)
        scope = self._agent_scopes.get(agent_id)
        c = (scope.days.get(day[0]) if scope is not None else None) or _NO_AGENT_COUNTS
        busy, wrap_up, idle = c.busy_seconds, c.wrap_up_seconds, c.idle_seconds
        if agent.since is not None:
            still = self._open(AgentCounters(), agent, day, now)  # the state the agent is still in
            busy, wrap_up, idle = (
                busy + still.busy_seconds,
                wrap_up + still.wrap_up_seconds,
                idle + still.idle_seconds,
            )
        return AgentLive(
            agent.state, agent.reason, agent.entered, c.handled, aht(c), occupancy(busy + wrap_up, idle)
        )

    def snapshot(self, now: float) -> Snapshot:
        queues = tuple(self.queue(q, now) for q in self.queue_ids())
        agents = tuple(self.agent(a, now) for a in self.agent_ids())
        return Snapshot(at=now, day_start=self.today(now)[0], queues=queues, agents=agents)

    def queue_intervals(
        self, queue_id: str, start: float, end: float, size: Granularity
    ) -> list[QueueFigures]:
        if queue_id not in self._queues:
            raise UnknownScope("queue", queue_id)
        return [self._queue_period(queue_id, p) for p in periods(start, end, size, self.tz)]

    def queue_interval(self, queue_id: str, at: float) -> QueueFigures:
        """The queue's figures for the 15-minute interval holding `at`: one bucket, read as it is (every
        time zone in use is offset from UTC by a multiple of 15 minutes)."""
        scope = self._queues.get(queue_id)
        if scope is None:
            raise UnknownScope("queue", queue_id)
        start = bucket_of(at)
        counters = scope.buckets.get(start) or QueueCounters()
        return queue_figures(queue_id, (start, start + BUCKET_SECONDS), counters, self._sl(queue_id))

    def channel_intervals(
        self, channel: str, start: float, end: float, size: Granularity
    ) -> list[QueueFigures]:
        """The queues of `channel` together (their service level by the default definition)."""
        scopes = [s for q, s in self._queues.items() if self._channel_of(q) == channel]
        spans = periods(start, end, size, self.tz)
        return [
            queue_figures(channel, p, summed(QueueCounters(), (s.period(p) for s in scopes)), _DEFAULT_SL)
            for p in spans
        ]

    def _channel_of(self, queue: str) -> str:
        spec = self._specs.get(queue)
        return spec.channel if spec is not None else "voice"

    def agent_intervals(
        self, agent_id: str, start: float, end: float, size: Granularity, now: float
    ) -> list[AgentFigures]:
        if agent_id not in self._agents:
            raise UnknownScope("agent", agent_id)
        return [self._agent_period(agent_id, p, now) for p in periods(start, end, size, self.tz)]

    def ivr_intervals(
        self, start: float, end: float, size: Granularity
    ) -> tuple[list[IvrTotals], list[IvrNodeFigures]]:
        """The IVR per period: the whole of it (calls in, how they left), and each step that saw a caller."""
        spans = list(periods(start, end, size, self.tz))
        return self._ivr.totals(spans), self._ivr.nodes(spans)

    def _queue_period(self, queue_id: str, period: Period) -> QueueFigures:
        return queue_figures(queue_id, period, self._queues[queue_id].period(period), self._sl(queue_id))

    def _agent_period(self, agent_id: str, period: Period, now: float) -> AgentFigures:
        scope = self._agent_scopes.get(agent_id) or Scope(AgentCounters)
        counters = self._open(scope.period(period), self._agents[agent_id], period, now)
        return agent_figures(agent_id, period, counters)

    @staticmethod
    def _open(counters: AgentCounters, agent: Agent, period: Period, now: float) -> AgentCounters:
        """`counters` plus the part of `period` the agent has spent in their current state up to `now`."""
        if agent.since is not None:
            start, end = max(agent.since, period[0]), min(now, period[1])
            if end > start:
                spend(counters, agent, end - start)
        return counters
