"""The routing state and the fold that changes it: `RoutingState.apply(event)` reads an event of the log
and takes its typed step (`received`, `queued`, `offered`, ...).

Live routing and replay share these steps (the router's journal takes them directly for the events it has
just written), so a router rebuilt from the event log is the same router.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import _readers as read
from ._index import AvailableIndex, Eligible, WaitingIndex
from ._model import (
    Agent,
    AttributeValue,
    CustomerContext,
    Interaction,
    InteractionState,
    Presence,
    PresenceKind,
    Requirements,
    requirements,
)
from ._timers import KIND, Timer, TimerKind, Timers
from ._trace import TraceLog
from .events import JSON, Event, EventType
from .specs import AgentSpec, Channel, QueueSpec, RelaxationKind, RelaxationStep

__all__ = ["QueueStats", "RoutingState"]


# hot enum members bound once: reading one off its class costs ~0.15 us in Python 3.11
_WAITING, _OFFERED, _ASSIGNED = InteractionState.WAITING, InteractionState.OFFERED, InteractionState.ASSIGNED
_ENDED = InteractionState.ENDED
# timer kinds as the plain ints the agenda keeps
_OFFER_TIMEOUT, _WRAP_UP_TIMER = KIND[TimerKind.OFFER_TIMEOUT], KIND[TimerKind.WRAP_UP]
_RELAX_TIMER, _MAX_WAIT_TIMER = KIND[TimerKind.RELAX], KIND[TimerKind.MAX_WAIT]


@dataclass(slots=True)
class QueueStats:
    answered: int = 0
    answered_within_sl: int = 0
    abandoned: int = 0


class RoutingState:
    def __init__(
        self, queues: Sequence[QueueSpec], agents: Sequence[AgentSpec], *, retain_ended: int, trace_depth: int
    ) -> None:
        self.queues = {q.id: q for q in queues}
        self.members = {q.id: frozenset(m.agent_id for m in q.members) for q in queues}
        self.member_pos = {q.id: {m.agent_id: n for n, m in enumerate(q.members)} for q in queues}
        # steps fire in time order whatever the order of the config file
        self.requirements = {q.id: requirements(q.skills) for q in queues}
        self.steps = {q.id: tuple(sorted(q.relaxation, key=lambda s: s.after_seconds)) for q in queues}
        # a preferred agent is waited for only where a step later drops the preference
        self.drops_preferred = {
            q.id: any(s.kind is RelaxationKind.DROP_PREFERRED for s in q.relaxation) for q in queues
        }
        self.agents: dict[str, Agent] = {}
        self.agents_by_skill: dict[str, dict[str, None]] = {}
        for n, spec in enumerate(sorted(agents, key=lambda a: a.id)):
            self._add_agent(spec, n)
        self.interactions: dict[str, Interaction] = {}
        # oldest first: the oldest ended interaction is forgotten first (a dict used as a FIFO would make
        # `next(iter(...))` skip ever more deleted slots)
        self.ended_ids: deque[str] = deque()
        self.retain_ended = retain_ended
        self.traces = TraceLog(trace_depth)
        self.waiting = WaitingIndex(self.members)
        # derived, never part of a snapshot: agent id -> (waiting.version, classes it may serve)
        self.eligible: dict[str, tuple[int, list[Eligible]]] = {}
        self.declining: set[str] = set()  # interactions some agent declined: most have none
        self.available = AvailableIndex()
        self._note_available = self.available.update  # bound once: every offer and end calls it
        self.timers = Timers(self._timer_valid)
        self.rr_last: dict[str, str | None] = dict.fromkeys(self.queues)
        self.stats = {q: QueueStats() for q in self.queues}
        self.last_seq = 0
        self.now = 0.0
        self._apply: dict[EventType, Callable[[Event], None]] = {
            EventType.RECEIVED: self._received,
            EventType.QUEUED: self._queued,
            EventType.REFUSED: self._refused,
            EventType.OFFERED: self._offered,
            EventType.ACCEPTED: lambda ev: None,
            EventType.ASSIGNED: self._assigned,
            EventType.REJECTED: self._returned,
            EventType.TIMED_OUT: self._returned,
            EventType.OFFER_REVOKED: self._returned,
            EventType.RELAXED: self._relaxed,
            EventType.OVERFLOWED: self._overflowed,
            EventType.EXITED: self._exited,
            EventType.ABANDONED: self._abandoned,
            EventType.ENDED: self._ended,
            EventType.PRESENCE_CHANGED: self._presence_changed,
            EventType.WRAP_UP_ENDED: self._wrap_up_ended,
            EventType.SUPERVISOR_ACTION: lambda ev: None,  # the audit record; its effects are own events
            EventType.IVR: lambda ev: None,  # the caller's way through the IVR, for reports
        }

    def _add_agent(self, spec: AgentSpec, order: int) -> None:
        members = {q.id: m for q in self.queues.values() for m in q.members if m.agent_id == spec.id}
        self.agents[spec.id] = Agent(spec=spec, order=order, levels=dict(spec.skills), members=members)
        for skill, _ in spec.skills:
            self.agents_by_skill.setdefault(skill, {})[spec.id] = None

    def apply(self, ev: Event) -> None:
        """Fold one event of the log: its data is read and checked, then it changes the state through the
        same typed steps (`received`, `queued`, ...) the router takes for the events it emits itself."""
        self.check_next(ev.seq)
        self._apply[ev.type](ev)
        self.advanced(ev)

    def check_next(self, seq: int) -> None:
        if seq <= self.last_seq:
            raise ValueError(f"event {seq} is not after {self.last_seq}")

    def advanced(self, ev: Event) -> None:
        """`ev` has been folded."""
        self.last_seq = ev.seq
        if ev.at > self.now:
            self.now = ev.at

    # -- interactions -------------------------------------------------------------------------------------

    def _received(self, ev: Event) -> None:
        d = ev.data
        own = d.get("skills")
        self.received(
            read.interaction_id(ev),
            ev.seq,
            read.channel(read.str_of(d, "channel")),
            read.int_of(d, "priority"),
            read.attributes(d.get("attributes")),
            read.opt_str(d, "preferred_agent"),
            read.float_of(d, "enqueue_time"),
            None if own is None else read.requirements_of(own),
            read.opt_str(d, "only_agent"),  # absent from logs written before it existed
            read.customer(d.get("customer")),
            d.get("callback") is True,
        )

    def received(
        self,
        iid: str,
        seq: int,
        channel: Channel,
        priority: int,
        attributes: tuple[tuple[str, AttributeValue], ...],
        preferred_agent: str | None,
        enqueue_time: float,
        own_skills: Requirements | None,
        only_agent: str | None = None,
        customer: CustomerContext | None = None,
        callback: bool = False,
    ) -> None:
        self.interactions[iid] = Interaction(
            iid,
            channel,
            priority,
            attributes,
            preferred_agent,
            enqueue_time,
            seq,
            own_skills,
            only_agent,
            customer,
            callback,
        )

    def _queued(self, ev: Event) -> None:
        self.queued(read.interaction_id(ev), read.str_of(ev.data, "queue"), ev.at)

    def queued(self, iid: str, queue_id: str, at: float) -> None:
        i = self.interactions[iid]
        q = self.queues[queue_id]
        i.queue, i.state, i.queue_entered_at = q.id, _WAITING, at
        i.skills = i.own_skills if i.own_skills is not None else self.requirements[q.id]
        i.queue_epoch += 1
        i.steps_applied, i.widened, i.agent = 0, (), None
        i.prefer = prefer = i.preferred_agent is not None
        i.sticky = i.only_agent is not None or (prefer and self.drops_preferred[queue_id])
        if i.declined:  # a new queue is a new attempt: earlier declines no longer exclude
            i.declined = frozenset()
            self.declining.discard(i.id)
        self.waiting.add(i)
        if self.steps[queue_id]:
            self._arm_relax(i)
        if q.max_wait_seconds is not None and not i.callback:
            self.timers.arm(at + q.max_wait_seconds, _MAX_WAIT_TIMER, i.id, i.queue_epoch)

    def _refused(self, ev: Event) -> None:
        i = self.interactions[read.interaction_id(ev)]
        i.queue = read.str_of(ev.data, "queue")
        self._end(i, f"refused:{read.str_of(ev.data, 'reason')}", ev.at)

    def _offered(self, ev: Event) -> None:
        self.offered(read.interaction_id(ev), read.agent_id(ev), read.float_of(ev.data, "deadline"), ev.at)

    def offered(self, iid: str, agent_id: str, deadline: float, at: float) -> None:
        i, a = self.interactions[iid], self.agents[agent_id]
        self.waiting.remove(i)
        i.state, i.agent, i.offer_deadline = _OFFERED, a.id, deadline
        i.offer_epoch += 1
        self._reserve(a, i)
        a.idle_since = at
        self.rr_last[i.queue] = a.id
        self.timers.arm(deadline, _OFFER_TIMEOUT, i.id, i.offer_epoch)

    def _assigned(self, ev: Event) -> None:
        self.assigned(read.interaction_id(ev), ev.at)

    def assigned(self, iid: str, at: float) -> None:
        i = self.interactions[iid]
        i.state, i.offer_deadline, i.answered_at = _ASSIGNED, None, at
        stats = self.stats[i.queue]
        stats.answered += 1
        if at - i.enqueue_time <= self.queues[i.queue].service_level_seconds:
            stats.answered_within_sl += 1

    def _returned(self, ev: Event) -> None:
        """Rejected, timed out or revoked: back to its original place (enqueue time and arrival kept)."""
        i, a = self.interactions[read.interaction_id(ev)], self.agents[read.agent_id(ev)]
        self._release(a, i.id, ev.at)
        if ev.type is not EventType.OFFER_REVOKED:
            i.declined = i.declined | {a.id}
            self.declining.add(i.id)
        i.state, i.agent, i.offer_deadline = InteractionState.WAITING, None, None
        self.waiting.add(i)
        max_wait = self.queues[i.queue].max_wait_seconds
        if max_wait is not None and not i.callback:
            # the max-wait timer was ignored while the offer rang; re-arm it (possibly already due)
            deadline = max(i.queue_entered_at + max_wait, ev.at)
            self.timers.arm(deadline, _MAX_WAIT_TIMER, i.id, i.queue_epoch)

    def _relaxed(self, ev: Event) -> None:
        i = self.interactions[read.interaction_id(ev)]
        index = read.int_of(ev.data, "step")
        step = self.steps[i.queue][index]
        waiting = i.state is InteractionState.WAITING
        if waiting:
            self.waiting.remove(i)
        _relax(i, step)
        i.steps_applied = index + 1
        if waiting:
            self.waiting.add(i)
        self._arm_relax(i)

    def _overflowed(self, ev: Event) -> None:
        i = self.interactions[read.interaction_id(ev)]
        if i.state is InteractionState.WAITING:
            self.waiting.remove(i)
        i.state = InteractionState.NEW

    def _exited(self, ev: Event) -> None:
        i = self.interactions[read.interaction_id(ev)]
        if i.state is InteractionState.WAITING:
            self.waiting.remove(i)
        i.queue = read.str_of(ev.data, "queue")
        self._end(i, f"{read.str_of(ev.data, 'reason')}:{read.str_of(ev.data, 'kind')}", ev.at)

    def _abandoned(self, ev: Event) -> None:
        i = self.interactions[read.interaction_id(ev)]
        if i.state is InteractionState.WAITING:
            self.waiting.remove(i)
        elif i.agent is not None:
            self._release(self.agents[i.agent], i.id, ev.at)
        self.stats[i.queue].abandoned += 1
        self._end(i, "abandoned", ev.at)

    def _ended(self, ev: Event) -> None:
        self.ended(read.interaction_id(ev), read.agent_id(ev), read.str_of(ev.data, "reason"), ev.at)

    def ended(self, iid: str, agent_id: str, reason: str, at: float) -> None:
        i = self.interactions[iid]
        self._release(self.agents[agent_id], iid, at)
        self._end(i, reason, at)

    def _end(self, i: Interaction, reason: str, at: float) -> None:
        i.state, i.agent, i.offer_deadline, i.end_reason, i.ended_at = (
            _ENDED,
            None,
            None,
            reason,
            at,
        )
        ended = self.ended_ids
        ended.append(i.id)
        if i.declined:
            self.declining.discard(i.id)
        while len(ended) > self.retain_ended:
            old = ended.popleft()
            del self.interactions[old]  # its trace goes with it

    def _arm_relax(self, i: Interaction) -> None:
        if i.steps_applied < len(self.steps[i.queue]):
            self.timers.arm(self._relax_due(i), _RELAX_TIMER, i.id, i.queue_epoch)

    def _relax_due(self, i: Interaction) -> float:
        return i.queue_entered_at + self.steps[i.queue][i.steps_applied].after_seconds

    # -- agents -------------------------------------------------------------------------------------------

    def _presence_changed(self, ev: Event) -> None:
        a = self.agents[read.agent_id(ev)]
        presence = Presence.from_dict(read.mapping(ev.data, "presence"))
        if presence.kind is PresenceKind.AVAILABLE and a.presence.kind is not PresenceKind.AVAILABLE:
            a.idle_since = ev.at
        a.presence = presence
        if presence.until is not None:
            self.timers.arm(presence.until, _WRAP_UP_TIMER, a.id, presence.until)
        self._touched(a)

    def _wrap_up_ended(self, ev: Event) -> None:
        a = self.agents[read.agent_id(ev)]
        a.presence, a.idle_since = Presence.available(), ev.at
        self._touched(a)

    def _touched(self, a: Agent) -> None:
        """Presence or work of `a` changed: explanations citing it are stale, its availability may differ."""
        a.version += 1
        self._note_available(a)

    def _reserve(self, a: Agent, i: Interaction) -> None:
        a.work[i.id] = i.channel
        a.used += a.costs[i.channel]
        a.exclusive += i.channel in a.exclusive_channels
        a.version += 1  # `_touched`, inlined: every offer and end takes this step
        self._note_available(a)

    def _release(self, a: Agent, iid: str, at: float) -> None:
        channel = a.work.pop(iid)
        a.used -= a.costs[channel]
        a.exclusive -= channel in a.exclusive_channels
        if not a.work:
            a.idle_since = at
        a.version += 1  # `_touched`, inlined
        self._note_available(a)

    # -- timers and snapshots -----------------------------------------------------------------------------

    def _timer_valid(self, t: Timer) -> bool:
        if t.kind is TimerKind.WRAP_UP:
            p = self.agents[t.key].presence
            return p.kind is PresenceKind.WRAP_UP and p.until == t.token
        i = self.interactions.get(t.key)
        if i is None:
            return False
        if t.kind is TimerKind.OFFER_TIMEOUT:
            return i.state is InteractionState.OFFERED and i.offer_epoch == t.token
        if t.kind is TimerKind.MAX_WAIT:
            return i.state is InteractionState.WAITING and i.queue_epoch == t.token
        steps = self.steps[i.queue]
        live = i.state in (InteractionState.WAITING, InteractionState.OFFERED) and i.queue_epoch == t.token
        # the due time tells which step a timer was armed for
        return live and i.steps_applied < len(steps) and t.at == self._relax_due(i)

    def offered_and_assigned(self, a: Agent) -> tuple[tuple[str, ...], tuple[str, ...]]:
        offered = tuple(sorted(x for x in a.work if self.interactions[x].state is InteractionState.OFFERED))
        assigned = tuple(sorted(x for x in a.work if x not in offered))
        return offered, assigned

    def snapshot(self) -> dict[str, JSON]:
        """Canonical, JSON-shaped state: two routers with equal snapshots route the same way."""
        agents: dict[str, JSON] = {
            aid: a.view(*self.offered_and_assigned(a)).to_dict() for aid, a in sorted(self.agents.items())
        }
        queues: dict[str, JSON] = {
            qid: {
                "waiting": list(self.waiting.ordered(qid)),
                "rr_last": self.rr_last[qid],
                "answered": s.answered,
                "answered_within_sl": s.answered_within_sl,
                "abandoned": s.abandoned,
            }
            for qid, s in sorted(self.stats.items())
        }
        return {
            "last_seq": self.last_seq,
            "interactions": {k: v.view().to_dict() for k, v in sorted(self.interactions.items())},
            "agents": agents,
            "queues": queues,
            "available": [aid for aid in sorted(self.available.everyone)],
            "timers": [[at, kind, key] for at, kind, key in self.timers.pending()],
        }


def _relax(i: Interaction, step: RelaxationStep) -> None:
    if step.kind is RelaxationKind.LOWER_LEVEL and step.to_level is not None:
        i.skills = tuple((s, min(lvl, step.to_level) if s == step.skill else lvl) for s, lvl in i.skills)
    elif step.kind is RelaxationKind.DROP_SKILL:
        i.skills = tuple((s, lvl) for s, lvl in i.skills if s != step.skill)
    elif step.kind is RelaxationKind.WIDEN_QUEUE and step.queue and step.queue not in (i.queue, *i.widened):
        i.widened = (*i.widened, step.queue)
    elif step.kind is RelaxationKind.DROP_PREFERRED:
        i.prefer = False
        i.sticky = i.only_agent is not None  # drops a preference, never the only agent
