"""`Journal`: how the router writes history. Each event is numbered, folded into the state, and kept until
the command commits it to the store, so a command's events and its effect on the state never part.

The frequent events skip `RoutingState.apply`, which would read back and re-check data the router has just
written from typed values: the journal numbers the event, takes the same typed step replay takes, keeps it.
"""

from __future__ import annotations

from . import _payloads as payloads
from ._model import NewInteraction, requirements
from ._readers import channel as _channel
from ._state import RoutingState
from ._store import StateStore
from ._trace import Decision
from .events import JSON, Event, EventType, new_event

__all__ = ["Journal"]

# enum members bound once: reading one off its class costs ~0.15 us in Python 3.11 (EnumType.__getattr__)
_ASSIGNED, _ENDED, _OFFERED = EventType.ASSIGNED, EventType.ENDED, EventType.OFFERED
_QUEUED, _RECEIVED = EventType.QUEUED, EventType.RECEIVED


class Journal:
    def __init__(self, state: RoutingState, store: StateStore) -> None:
        self._state = state
        self._store = store
        self._out: list[Event] = []

    def emit(
        self,
        kind: EventType,
        now: float,
        interaction_id: str | None = None,
        agent_id: str | None = None,
        data: dict[str, JSON] | None = None,
    ) -> None:
        """Any event, folded the way replay folds it."""
        ev = new_event(self._store.next_seq(), kind, now, interaction_id, agent_id, data or {})
        self._state.apply(ev)
        self._out.append(ev)

    def commit(self) -> list[Event]:
        """Store whatever was folded (even when a command raises), so the log and the state never disagree."""
        events, self._out = self._out, []
        self._store.append(events)
        return events

    # -- the frequent events, folded through their typed step ------------------------------------------------

    def received(self, new: NewInteraction, now: float) -> None:
        ev = self._numbered(_RECEIVED, now, new.id, None, payloads.received(new, now))
        own = None if new.skills is None else requirements(new.skills)
        enqueue_time = float(now if new.enqueue_time is None else new.enqueue_time)
        attributes = new.attributes if isinstance(new.attributes, tuple) else tuple(new.attributes.items())
        channel = _channel(str(new.channel))
        self._state.received(
            new.id,
            ev.seq,
            channel,
            new.priority,
            attributes,
            new.preferred_agent,
            enqueue_time,
            own,
            new.only_agent,
        )
        self._kept(ev)

    def queued(self, interaction_id: str, queue_id: str, now: float) -> None:
        ev = self._numbered(_QUEUED, now, interaction_id, None, {"queue": queue_id})
        self._state.queued(interaction_id, queue_id, now)
        self._kept(ev)

    def offered(
        self, interaction_id: str, queue_id: str, deadline: float, decision: Decision, now: float
    ) -> None:
        agent_id = decision.chosen_agent
        assert agent_id is not None
        data = payloads.offered(queue_id, deadline, decision)
        ev = self._numbered(_OFFERED, now, interaction_id, agent_id, data)
        self._state.offered(interaction_id, agent_id, float(deadline), now)
        self._kept(ev)

    def assigned(self, interaction_id: str, agent_id: str, queue_id: str, now: float) -> None:
        ev = self._numbered(_ASSIGNED, now, interaction_id, agent_id, {"queue": queue_id})
        self._state.assigned(interaction_id, now)
        self._kept(ev)

    def ended(self, interaction_id: str, agent_id: str, queue_id: str, reason: str, now: float) -> None:
        ev = self._numbered(_ENDED, now, interaction_id, agent_id, {"queue": queue_id, "reason": reason})
        self._state.ended(interaction_id, agent_id, reason, now)
        self._kept(ev)

    def _numbered(
        self, kind: EventType, now: float, interaction_id: str, agent_id: str | None, data: dict[str, JSON]
    ) -> Event:
        ev = new_event(self._store.next_seq(), kind, now, interaction_id, agent_id, data)
        if ev.seq <= self._state.last_seq:
            self._state.check_next(ev.seq)  # raises before anything changed
        return ev

    def _kept(self, ev: Event) -> None:
        state = self._state
        state.last_seq = ev.seq  # `RoutingState.advanced`, inlined: it runs for nearly every event
        if ev.at > state.now:
            state.now = ev.at
        self._out.append(ev)
