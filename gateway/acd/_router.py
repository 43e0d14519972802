"""`Router`: the public face of the routing core. Commands decide, emit events, and the state folds them.

Every mutating method takes `now` (epoch seconds) and returns the events it produced; a call that raises
has changed nothing. Time never runs backwards inside the core: an earlier `now` is read as the latest seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from . import _payloads as payloads
from ._agent_side import pick_interaction
from ._hours import is_open
from ._journal import Journal
from ._matching import effective_priority, pick_agent
from ._model import (
    Agent,
    AgentView,
    Interaction,
    InteractionState,
    InteractionView,
    NewInteraction,
    Presence,
    PresenceKind,
    QueueSnapshot,
    WorkBrief,
    requirements,
)
from ._state import RoutingState
from ._store import InMemoryStore, StateStore
from ._timers import Timer, TimerKind
from ._trace import Candidate, Decision, Trigger
from ._validate import validate_specs
from .errors import (
    AgentUnavailable,
    DuplicateInteraction,
    InvalidTransition,
    NotOffered,
    UnknownAgent,
    UnknownInteraction,
    UnknownQueue,
)
from .events import JSON, Event, EventType, IvrStep, SupervisorAction
from .specs import AgentSpec, ExitAction, ExitKind, QueueSpec

__all__ = ["Router"]

# enum members bound once: reading one off its class costs ~0.15 us in Python 3.11 (EnumType.__getattr__)
_EV_ACCEPTED = EventType.ACCEPTED
_IS_ASSIGNED = InteractionState.ASSIGNED
_IS_OFFERED = InteractionState.OFFERED
_PK_AVAILABLE = PresenceKind.AVAILABLE
_PK_WRAP_UP = PresenceKind.WRAP_UP
_TR_ARRIVED = Trigger.ARRIVED

MAX_OVERFLOW_HOPS = 8  # a loop of overflowing/closed queues ends in a disconnect instead of recursing forever


class Router:
    def __init__(
        self,
        *,
        queues: Sequence[QueueSpec],
        agents: Sequence[AgentSpec],
        store: StateStore | None = None,
        retain_ended: int = 10_000,
        trace_depth: int = 32,
    ) -> None:
        validate_specs(queues, agents)
        self._queues, self._agents = tuple(queues), tuple(agents)
        self._state = RoutingState(queues, agents, retain_ended=retain_ended, trace_depth=trace_depth)
        self._store: StateStore = store if store is not None else InMemoryStore()
        self._journal = Journal(self._state, self._store)
        self._queue_agents = {q.id: self._agents_of(q) for q in queues}

    @classmethod
    def replay(
        cls,
        queues: Sequence[QueueSpec],
        agents: Sequence[AgentSpec],
        events: Iterable[Event],
        *,
        store: StateStore | None = None,
    ) -> Router:
        """A router in the state `events` lead to; the events are appended to its (new) store."""
        router = cls(queues=queues, agents=agents, store=store)
        log = list(events)
        router._fold(log)
        router._store.append(log)
        return router

    @classmethod
    def from_store(
        cls, queues: Sequence[QueueSpec], agents: Sequence[AgentSpec], store: StateStore
    ) -> Router:
        """A router resuming from the log already held by `store` (after a restart)."""
        router = cls(queues=queues, agents=agents, store=store)
        router._fold(store.read())
        return router

    def _fold(self, events: Iterable[Event]) -> None:
        for ev in events:
            self._state.apply(ev)

    # -- commands -----------------------------------------------------------------------------------------

    def enqueue(self, new: NewInteraction, now: float) -> list[Event]:
        if new.id in self._state.interactions:
            raise DuplicateInteraction(new.id)
        if new.queue not in self._state.queues:
            raise UnknownQueue(new.queue, interaction_id=new.id)
        if new.only_agent is not None and new.only_agent not in self._state.agents:
            raise UnknownAgent(new.only_agent, interaction_id=new.id, field="only_agent")

        if now < self._state.now:  # the hot commands inline `_transaction`: no closure per call
            now = self._state.now
        try:
            self._journal.received(new, now)
            self._admit(new.id, new.queue, now, hops=0)
        finally:
            events = self._journal.commit()
        return events

    def set_presence(
        self, agent_id: str, presence: Presence, now: float, *, by: str | None = None
    ) -> list[Event]:
        """The agent's own change, or a supervisor's (`by`), logged as a `supervisor_action` first."""
        a = self._agent(agent_id)
        if presence.kind is _PK_WRAP_UP:
            raise ValueError(f"agent {agent_id!r}: wrap-up is started by the core when an interaction ends")
        if presence == a.presence:
            return []
        if by is None:
            return self._transaction(now, lambda now: self._change_presence(agent_id, presence, "agent", now))
        action = "log_out" if presence.kind is PresenceKind.OFFLINE else "set_presence"

        def body(now: float) -> None:
            audit: dict[str, JSON] = {"by": by, "action": action, "presence": presence.to_dict()}
            self._journal.emit(EventType.SUPERVISOR_ACTION, now, agent_id=agent_id, data=audit)
            self._change_presence(agent_id, presence, "supervisor", now)

        return self._transaction(now, body)

    def move(self, interaction_id: str, queue_id: str, now: float, *, by: str) -> list[Event]:
        """A supervisor moves waiting (or ringing) work to another queue; it keeps its enqueue time."""
        i = self._interaction(interaction_id)
        if queue_id not in self._state.queues:
            raise UnknownQueue(queue_id, interaction_id=interaction_id)
        if i.state not in (InteractionState.WAITING, _IS_OFFERED) or queue_id == i.queue:
            raise InvalidTransition(interaction_id, f"{i.state} in {i.queue}", f"move to {queue_id}")
        if self._state.queues[queue_id].channel is not i.channel:
            raise InvalidTransition(interaction_id, f"a {i.channel} interaction", f"move to {queue_id}")

        def body(now: float) -> None:
            audit: dict[str, JSON] = {"by": by, "action": "move", "from": i.queue, "to": queue_id}
            self._journal.emit(EventType.SUPERVISOR_ACTION, now, interaction_id, data=audit)
            ringing = self._withdraw(i, "moved", now)
            data: dict[str, JSON] = {"from": i.queue, "to": queue_id, "reason": "moved"}
            self._journal.emit(EventType.OVERFLOWED, now, interaction_id, data=data)
            self._admit(interaction_id, queue_id, now, hops=0)
            if ringing is not None:
                self._match_agent(ringing, now)

        return self._transaction(now, body)

    def offer_to(self, interaction_id: str, agent_id: str, now: float, *, by: str) -> list[Event]:
        """A supervisor offers waiting (or ringing) work to a named available agent with room for it; the
        offer rings and times out like any other."""
        i = self._interaction(interaction_id)
        a = self._agent(agent_id)
        if i.state not in (InteractionState.WAITING, _IS_OFFERED) or i.agent == agent_id:
            raise InvalidTransition(interaction_id, str(i.state), f"offer to {agent_id}")
        if i.only_agent is not None and i.only_agent != agent_id:
            raise InvalidTransition(interaction_id, f"for {i.only_agent} only", f"offer to {agent_id}")
        if a.presence.kind is not _PK_AVAILABLE:
            raise AgentUnavailable(interaction_id, agent_id, f"presence is {a.presence.kind}")
        if not a.has_room_for(i.channel):
            raise AgentUnavailable(interaction_id, agent_id, f"no room for a {i.channel} interaction")

        def body(now: float) -> None:
            audit: dict[str, JSON] = {"by": by, "action": "offer", "queue": i.queue}
            self._journal.emit(EventType.SUPERVISOR_ACTION, now, interaction_id, agent_id, audit)
            ringing = self._withdraw(i, "offered_elsewhere", now)
            decision = Decision(
                at=now,
                trigger=Trigger.SUPERVISOR,
                queue=i.queue,
                rule="supervisor",
                chosen_agent=agent_id,
                chosen_interaction=interaction_id,
                candidates=(Candidate(agent_id, interaction_id, ()),),
            )
            self._state.traces.record(i, decision)
            self._journal.offered(interaction_id, i.queue, decision, now)
            if ringing is not None:
                self._match_agent(ringing, now)

        return self._transaction(now, body)

    def accept(self, interaction_id: str, agent_id: str, now: float) -> list[Event]:
        i = self._offered_to(interaction_id, agent_id)
        if now < self._state.now:
            now = self._state.now
        try:
            self._journal.emit(_EV_ACCEPTED, now, i.id, agent_id, {"waited": now - i.enqueue_time})
            self._journal.assigned(i.id, agent_id, i.queue, now)
        finally:
            events = self._journal.commit()
        return events

    def reject(self, interaction_id: str, agent_id: str, now: float) -> list[Event]:
        i = self._offered_to(interaction_id, agent_id)

        def body(now: float) -> None:
            self._journal.emit(EventType.REJECTED, now, i.id, agent_id, {"queue": i.queue})
            self._match_interaction(i.id, now, Trigger.RETURNED)
            self._match_agent(agent_id, now)  # stays available: only this interaction excludes it

        return self._transaction(now, body)

    def record_action(self, action: SupervisorAction, now: float) -> list[Event]:
        """An audit entry in the log (`supervisor_action`); the routing state does not change."""
        return self._transaction(
            now,
            lambda now: self._journal.emit(
                EventType.SUPERVISOR_ACTION, now, action.interaction_id, action.agent_id, action.data()
            ),
        )

    def record_ivr(self, steps: Sequence[IvrStep], now: float) -> list[Event]:
        """The caller's steps through the IVR (`ivr` events); the routing state does not change."""

        def body(now: float) -> None:
            for step in steps:
                self._journal.emit(EventType.IVR, now, step.interaction_id, data=step.data())

        return self._transaction(now, body)

    def end(
        self, interaction_id: str, now: float, reason: str = "completed", *, hold_seconds: float = 0.0
    ) -> list[Event]:
        """End assigned work; `hold_seconds` (how long the customer was on hold) goes on the `ended` event,
        with whether the agent's wrap-up follows, for the metrics."""
        if hold_seconds < 0:
            raise ValueError(f"interaction {interaction_id!r}: hold_seconds must be >= 0, got {hold_seconds}")
        i = self._state.interactions.get(interaction_id)
        if i is None:
            raise UnknownInteraction(interaction_id)
        if i.state is not _IS_ASSIGNED or i.agent is None:
            raise InvalidTransition(interaction_id, str(i.state), "end")
        agent_id, wrap_up = i.agent, self._state.queues[i.queue].wrap_up_seconds
        if now < self._state.now:
            now = self._state.now
        wraps = wrap_up > 0 and self._state.agents[agent_id].presence.kind in (_PK_AVAILABLE, _PK_WRAP_UP)
        try:
            self._journal.ended(
                i.id, agent_id, i.queue, reason, now, hold_seconds=float(hold_seconds), wraps=wraps
            )
            if wrap_up > 0:
                self._start_wrap_up(agent_id, wrap_up, now)
            else:
                self._match_agent(agent_id, now)
        finally:
            events = self._journal.commit()
        return events

    def abandon(self, interaction_id: str, now: float) -> list[Event]:
        i = self._interaction(interaction_id)
        if i.state not in (InteractionState.WAITING, _IS_OFFERED):
            raise InvalidTransition(interaction_id, str(i.state), "abandon")
        agent_id = i.agent

        def body(now: float) -> None:
            data: dict[str, JSON] = {"queue": i.queue, "waited": now - i.enqueue_time, "state": str(i.state)}
            self._journal.emit(EventType.ABANDONED, now, i.id, agent_id, data)
            if agent_id is not None:
                self._match_agent(agent_id, now)

        return self._transaction(now, body)

    def drop(self, interaction_id: str, reason: str, now: float) -> list[Event]:
        """Let go of waiting or ringing work its customer did not leave (their call was lost with its media
        worker): it exits as a `disconnect` with `reason`, which no figure counts as an abandon."""
        if not reason:
            raise ValueError(f"interaction {interaction_id!r}: a drop needs a reason")
        i = self._interaction(interaction_id)
        if i.state not in (InteractionState.WAITING, _IS_OFFERED):
            raise InvalidTransition(interaction_id, str(i.state), "drop")

        def body(now: float) -> None:
            ringing = self._withdraw(i, reason, now)
            data: dict[str, JSON] = {"queue": i.queue, "kind": str(ExitKind.DISCONNECT), "reason": reason}
            self._journal.emit(EventType.EXITED, now, interaction_id, data=data)
            if ringing is not None:
                self._match_agent(ringing, now)

        return self._transaction(now, body)

    def tick(self, now: float) -> list[Event]:
        """Fire every timer due at `now`: offer timeouts, wrap-up ends, relaxation steps, max waits."""

        def body(now: float) -> None:
            while (timer := self._state.timers.pop_due(now)) is not None:
                self._fire(timer, now)

        return self._transaction(now, body)

    # -- queries ------------------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        return self._state.timers.next_deadline()

    def interaction(self, interaction_id: str) -> InteractionView | None:
        i = self._state.interactions.get(interaction_id)
        return None if i is None else i.view()

    def agent(self, agent_id: str) -> AgentView:
        a = self._agent(agent_id)
        return a.view(*self._state.offered_and_assigned(a))

    def briefs(self, interaction_ids: Iterable[str]) -> list[WorkBrief]:
        """The work of `interaction_ids` the core still holds, in that order (a light read)."""
        interactions = self._state.interactions
        return [i.brief() for i in map(interactions.get, interaction_ids) if i is not None]

    def agent_work(self, agent_id: str) -> list[WorkBrief]:
        """The agent's work, offered then assigned (each by id), as `agent(id)` lists it."""
        held = self._agent(agent_id).work
        if not held:
            return []
        interactions = self._state.interactions
        work = [interactions[x] for x in sorted(held)]
        return [i.brief() for i in work if i.state is _IS_OFFERED] + [
            i.brief() for i in work if i.state is not _IS_OFFERED
        ]

    def queue_snapshot(self, queue_id: str) -> QueueSnapshot:
        q = self._state.queues.get(queue_id)
        if q is None:
            raise UnknownQueue(queue_id)
        agents = [self._state.agents[a] for a in self._queue_agents[queue_id]]
        free = sum(a.is_available() and a.has_room_for(q.channel) for a in agents)
        signed_in = sum(a.presence.kind is not PresenceKind.OFFLINE for a in agents)
        stats = self._state.stats[queue_id]
        settled = stats.answered + stats.abandoned
        return QueueSnapshot(
            queue_id=queue_id,
            waiting=self._state.waiting.count(queue_id),
            oldest_enqueue_time=self._state.waiting.oldest(queue_id),
            agents_available=free,
            agents_busy=signed_in - free,
            answered=stats.answered,
            answered_within_service_level=stats.answered_within_sl,
            abandoned=stats.abandoned,
            service_level=stats.answered_within_sl / settled if settled else None,
        )

    def trace(self, interaction_id: str) -> tuple[Decision, ...]:
        return self._state.traces.of(self._state.interactions.get(interaction_id))

    def snapshot(self) -> dict[str, JSON]:
        return self._state.snapshot()

    @property
    def store(self) -> StateStore:
        return self._store

    @property
    def queues(self) -> tuple[QueueSpec, ...]:
        return self._queues

    @property
    def agents(self) -> tuple[AgentSpec, ...]:
        return self._agents

    # -- decisions ----------------------------------------------------------------------------------------

    def _transaction(self, now: float, body: Callable[[float], None]) -> list[Event]:
        if now < self._state.now:
            now = self._state.now
        try:
            body(now)
        finally:
            events = self._journal.commit()
        return events

    def _admit(self, iid: str, queue_id: str, now: float, hops: int) -> None:
        q = self._state.queues[queue_id]
        closed = q.business_hours is not None and not is_open(q.business_hours, now)
        if closed and not self._state.interactions[iid].callback:
            self._exit(iid, q, q.closed_exit, "closed", now, hops)
        elif q.max_length is not None and self._state.waiting.count(queue_id) >= q.max_length:
            self._journal.emit(
                EventType.REFUSED,
                now,
                iid,
                data={"queue": queue_id, "reason": "queue_full", "max_length": q.max_length},
            )
        else:
            self._journal.queued(iid, queue_id, now)
            self._match_interaction(iid, now, _TR_ARRIVED)

    def _exit(self, iid: str, q: QueueSpec, action: ExitAction, reason: str, now: float, hops: int) -> None:
        if action.kind is ExitKind.OVERFLOW and action.queue is not None and hops < MAX_OVERFLOW_HOPS:
            self._journal.emit(
                EventType.OVERFLOWED, now, iid, data={"from": q.id, "to": action.queue, "reason": reason}
            )
            self._admit(iid, action.queue, now, hops + 1)
            return
        kind = ExitKind.DISCONNECT if action.kind is ExitKind.OVERFLOW else action.kind
        self._journal.emit(
            EventType.EXITED, now, iid, data={"queue": q.id, "kind": str(kind), "reason": reason}
        )

    def _match_interaction(self, iid: str, now: float, trigger: Trigger) -> None:
        i = self._state.interactions[iid]
        decision = pick_agent(self._state, i, now, trigger)
        self._state.traces.record(i, decision)
        if decision.chosen_agent is not None:
            self._journal.offered(i.id, i.queue, decision, now)

    def _match_agent(self, agent_id: str, now: float) -> None:
        a = self._state.agents[agent_id]
        while a.is_available():
            decision = pick_interaction(self._state, a, now)
            if decision is None:
                return
            chosen = decision.chosen_interaction
            assert chosen is not None  # a decision from the agent's side always chooses
            i = self._state.interactions[chosen]
            self._state.traces.record(i, decision)
            self._journal.offered(i.id, i.queue, decision, now)

    def _change_presence(
        self, agent_id: str, presence: Presence, cause: str, now: float, returned: Sequence[str] = ()
    ) -> None:
        """Change presence, withdrawing ringing offers when leaving `available`; `returned` are interactions
        already back in their queue in this same call, to be re-matched together with the withdrawn ones."""
        a = self._state.agents[agent_id]
        offers: list[str] = []
        if presence.kind is not _PK_AVAILABLE:
            # leaving `available` withdraws what is still ringing; it is not a decline
            offers = [x for x in a.work if self._state.interactions[x].state is _IS_OFFERED]
            for iid in offers:
                self._journal.emit(EventType.OFFER_REVOKED, now, iid, agent_id, {"reason": cause})
        data = payloads.presence_changed(presence, a.presence, cause)
        self._journal.emit(EventType.PRESENCE_CHANGED, now, agent_id=agent_id, data=data)
        self._rematch([*returned, *offers], now)
        if presence.kind is _PK_AVAILABLE:
            self._match_agent(agent_id, now)

    def _withdraw(self, i: Interaction, reason: str, now: float) -> str | None:
        """Revoke `i`'s ringing offer, if any (not a decline); the agent it rang for, to be matched again."""
        agent_id = i.agent if i.state is _IS_OFFERED else None
        if agent_id is not None:
            self._journal.emit(EventType.OFFER_REVOKED, now, i.id, agent_id, {"reason": reason})
        return agent_id

    def _rematch(self, returned: Sequence[str], now: float) -> None:
        """Offer interactions that came back together best first, so none overtakes an older equal one."""

        def rank(iid: str) -> tuple[int, float, int]:
            i = self._state.interactions[iid]
            aging = self._state.queues[i.queue].priority_aging_seconds
            return -effective_priority(i.priority, i.enqueue_time, now, aging), i.enqueue_time, i.arrival

        for iid in sorted(returned, key=rank):
            if self._state.interactions[iid].state is InteractionState.WAITING:
                self._match_interaction(iid, now, Trigger.RETURNED)

    def _start_wrap_up(self, agent_id: str, seconds: float, now: float) -> None:
        a = self._state.agents[agent_id]
        if seconds <= 0 or a.presence.kind not in (_PK_AVAILABLE, _PK_WRAP_UP):
            self._match_agent(agent_id, now)
            return
        until = max(now + seconds, a.presence.until or 0.0)
        if until != a.presence.until:
            self._change_presence(agent_id, Presence.wrap_up(until), "wrap_up", now)

    def _fire(self, timer: Timer, now: float) -> None:
        if timer.kind is TimerKind.WRAP_UP:
            self._journal.emit(EventType.WRAP_UP_ENDED, now, agent_id=timer.key)
            self._match_agent(timer.key, now)
            return
        i = self._state.interactions[timer.key]
        q = self._state.queues[i.queue]
        if timer.kind is TimerKind.OFFER_TIMEOUT and i.agent is not None:
            agent_id = i.agent
            self._journal.emit(EventType.TIMED_OUT, now, i.id, agent_id, {"queue": i.queue})
            if self._state.agents[agent_id].presence.kind is _PK_AVAILABLE:
                missed = Presence.not_ready(q.missed_offer_reason)
                self._change_presence(agent_id, missed, "missed_offer", now, returned=[i.id])
            else:
                self._rematch([i.id], now)
        elif timer.kind is TimerKind.RELAX:
            index = i.steps_applied
            step = self._state.steps[i.queue][index]
            self._journal.emit(EventType.RELAXED, now, i.id, data=payloads.relaxed(i.queue, index, step))
            if i.state is InteractionState.WAITING:
                self._match_interaction(i.id, now, Trigger.RELAXED)
        elif timer.kind is TimerKind.MAX_WAIT:
            self._exit(i.id, q, q.max_wait_exit, "max_wait", now, hops=0)

    # -- lookups that raise -------------------------------------------------------------------------------

    def _interaction(self, interaction_id: str) -> Interaction:
        i = self._state.interactions.get(interaction_id)
        if i is None:
            raise UnknownInteraction(interaction_id)
        return i

    def _agent(self, agent_id: str) -> Agent:
        a = self._state.agents.get(agent_id)
        if a is None:
            raise UnknownAgent(agent_id)
        return a

    def _offered_to(self, interaction_id: str, agent_id: str) -> Interaction:
        i = self._interaction(interaction_id)
        self._agent(agent_id)
        if i.state is not _IS_OFFERED or i.agent != agent_id:
            raise NotOffered(interaction_id, agent_id, str(i.state))
        return i

    def _agents_of(self, q: QueueSpec) -> tuple[str, ...]:
        """Agents who could ever serve the queue's own requirements (for the queue snapshot)."""
        if q.members:
            return tuple(m.agent_id for m in q.members)
        needs = requirements(q.skills)
        return tuple(
            a.id for a in self._state.agents.values() if all(a.levels.get(s, 0) >= lvl for s, lvl in needs)
        )
