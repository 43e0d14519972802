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
from .events import JSON, Event, EventType

__all__ = ["Journal"]

# enum members bound once: reading one off its class costs ~0.15 us in Python 3.11 (EnumType.__getattr__)
_ASSIGNED, _ENDED, _OFFERED = EventType.ASSIGNED, EventType.ENDED, EventType.OFFERED
_QUEUED, _RECEIVED = EventType.QUEUED, EventType.RECEIVED
_SHARED_MAX = 10_000  # (queue, end reason) pairs whose event data is shared


class Journal:
    def __init__(self, state: RoutingState, store: StateStore) -> None:
        self._state = state
        self._store = store
        self._next_seq = store.next_seq  # bound once: it runs for every event
        self._out: list[Event] = []
        self._shared: dict[tuple[str, str | None, bool], dict[str, JSON]] = {}

    def emit(
        self,
        kind: EventType,
        now: float,
        interaction_id: str | None = None,
        agent_id: str | None = None,
        data: dict[str, JSON] | None = None,
    ) -> None:
        """Any event, folded the way replay folds it."""
        ev = Event(self._next_seq(), kind, now, interaction_id, agent_id, data or {})
        self._state.apply(ev)
        self._out.append(ev)

    def commit(self) -> list[Event]:
        """Store whatever was folded (even when a command raises), so the log and the state never disagree."""
        events, self._out = self._out, []
        if events:
            # `RoutingState.advanced` once for the command: its events share one `now`, in seq order
            state, last = self._state, events[-1]
            state.last_seq = last.seq
            if last.at > state.now:
                state.now = last.at
        self._store.append(events)
        return events

    # -- the frequent events, folded through their typed step ------------------------------------------------

    def received(self, new: NewInteraction, now: float) -> None:
        seq = self._numbered()
        own = None if new.skills is None else requirements(new.skills)
        enqueue_time = float(now if new.enqueue_time is None else new.enqueue_time)
        attributes = new.attributes if isinstance(new.attributes, tuple) else tuple(new.attributes.items())
        channel = _channel(str(new.channel))
        self._state.received(
            new.id,
            seq,
            channel,
            new.priority,
            attributes,
            new.preferred_agent,
            enqueue_time,
            own,
            new.only_agent,
            new.customer,
            new.callback,
        )
        self._out.append(Event(seq, _RECEIVED, now, new.id, None, payloads.received(new, now)))

    def queued(self, interaction_id: str, queue_id: str, now: float) -> None:
        seq = self._numbered()
        self._state.queued(interaction_id, queue_id, now)
        self._out.append(Event(seq, _QUEUED, now, interaction_id, None, self._about(queue_id)))

    def offered(self, interaction_id: str, queue_id: str, decision: Decision, now: float) -> None:
        """Offer to the decision's chosen agent, ringing for the queue's offer timeout."""
        agent_id = decision.chosen_agent
        assert agent_id is not None
        state = self._state
        deadline = now + state.queues[queue_id].offer_timeout_seconds
        seq = self._numbered()
        state.offered(interaction_id, agent_id, deadline, now)
        data = payloads.offered(queue_id, deadline, decision)
        self._out.append(Event(seq, _OFFERED, now, interaction_id, agent_id, data))

    def assigned(self, interaction_id: str, agent_id: str, queue_id: str, now: float) -> None:
        seq = self._numbered()
        self._state.assigned(interaction_id, now)
        self._out.append(Event(seq, _ASSIGNED, now, interaction_id, agent_id, self._about(queue_id)))

    def ended(
        self,
        interaction_id: str,
        agent_id: str,
        queue_id: str,
        reason: str,
        now: float,
        *,
        hold_seconds: float = 0.0,
        wraps: bool = False,
    ) -> None:
        """`hold_seconds` and whether the agent's wrap-up follows (`wrap_up`) are for the metrics engine."""
        seq = self._numbered()
        self._state.ended(interaction_id, agent_id, reason, now)
        data = (
            self._about(queue_id, reason, wraps)
            if not hold_seconds
            else self._end_data(queue_id, reason, wraps, hold_seconds)
        )
        self._out.append(Event(seq, _ENDED, now, interaction_id, agent_id, data))

    @staticmethod
    def _end_data(queue_id: str, reason: str, wraps: bool, hold_seconds: float) -> dict[str, JSON]:
        return {"queue": queue_id, "reason": reason, "wrap_up": wraps, "hold_seconds": hold_seconds}

    def _about(self, queue_id: str, reason: str | None = None, wraps: bool = False) -> dict[str, JSON]:
        """`{"queue": queue_id}`, with `"reason"` and `"wrap_up"` if a reason is given (an end), one dict per
        triple: event data is never mutated, so the events of a queue share it instead of allocating one
        each."""
        key = (queue_id, reason, wraps)
        data = self._shared.get(key)
        if data is None:
            data = (
                {"queue": queue_id}
                if reason is None
                else {"queue": queue_id, "reason": reason, "wrap_up": wraps}
            )
            if len(self._shared) < _SHARED_MAX:  # end reasons come from callers: keep the cache bounded
                self._shared[key] = data
        return data

    def _numbered(self) -> int:
        """The next seq, refused before anything changed if the state has already seen it."""
        seq = self._next_seq()
        if seq <= self._state.last_seq:
            self._state.check_next(seq)
        return seq
