"""What the routing core announces: one `Event` per state change, numbered by a monotonic `seq`.

The event log is the source of truth: metrics, the supervisor view and replay all fold over it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple, TypeAlias

__all__ = ["JSON", "Event", "EventType", "IvrStep", "IvrStepKind", "SupervisorAction"]

JSON: TypeAlias = str | int | float | bool | list["JSON"] | dict[str, "JSON"] | None
_NO_DATA: Mapping[str, JSON] = MappingProxyType({})  # a shared default must not be mutable


class EventType(StrEnum):
    RECEIVED = "received"  # an interaction is known to the core (carries everything needed to rebuild it)
    QUEUED = "queued"  # it waits in a queue (first time or after an overflow)
    REFUSED = "refused"  # it could not enter a queue (queue full)
    OFFERED = "offered"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    REJECTED = "rejected"
    TIMED_OUT = "timed_out"
    OFFER_REVOKED = "offer_revoked"  # the agent left `available` while the offer was ringing
    RELAXED = "relaxed"
    OVERFLOWED = "overflowed"
    EXITED = "exited"  # voicemail / callback / disconnect, because of max wait or closed hours
    ABANDONED = "abandoned"
    ENDED = "ended"
    PRESENCE_CHANGED = "presence_changed"
    WRAP_UP_ENDED = "wrap_up_ended"
    # a supervisor's command or act, logged before the events it causes: who (`by`), what (`action`), on what
    SUPERVISOR_ACTION = "supervisor_action"
    # a caller's step through the IVR (menu reached, option chosen, hung up at a node, ...): see `IvrStep`
    IVR = "ivr"


class IvrStepKind(StrEnum):
    STARTED = "started"  # the call entered the IVR
    REACHED = "reached"  # the caller reached a step that waits (a prompt, menu, collect, queue, ...)
    CHOSE = "chose"  # a menu option was chosen (`option`, `by` DTMF or speech)
    NO_INPUT = "no_input"  # a menu or collect heard nothing in time
    INVALID_INPUT = "invalid_input"  # ... or something that is not an option / not a valid entry
    LEFT = "left"  # the caller left the IVR (`left`: how), once per call


_LEAVINGS = ("queue", "hung_up", "transferred", "voicemail", "hangup")


@dataclass(frozen=True, slots=True, kw_only=True)
class IvrStep:
    """What a caller did in the IVR, logged as an `ivr` event for the IVR report. `call` is the caller's
    call id (the interaction id comes later, once the call is queued); `node` is the step it happened at
    (`flow.label`, or `flow[i]` for a step without an `id`; for `started`, the flow entered), `verb` that
    step's verb. `left` says how the
    caller left the IVR: queue (then `queue` names it), hung_up, transferred, voicemail or hangup (the flow
    hung up). No caller input but the chosen option is kept: what was typed or said stays out of the log."""

    call: str
    kind: IvrStepKind
    node: str = ""
    verb: str = ""
    option: str | None = None
    by: str | None = None  # dtmf | speech
    left: str | None = None
    queue: str | None = None
    interaction_id: str | None = None

    def __post_init__(self) -> None:
        if not self.call:
            raise ValueError("ivr step: call must not be empty")
        if self.kind is not IvrStepKind.STARTED and not self.node:
            raise ValueError(f"ivr step {self.kind}: node must not be empty")
        if (self.kind is IvrStepKind.LEFT) != (self.left is not None):
            raise ValueError(f"ivr step {self.kind}: left is set for, and only for, a `left` step")
        if self.left is not None and self.left not in _LEAVINGS:
            raise ValueError(f"ivr step: left must be one of {', '.join(_LEAVINGS)}, got {self.left!r}")
        if (self.kind is IvrStepKind.CHOSE) != (self.option is not None):
            raise ValueError(f"ivr step {self.kind}: option is set for, and only for, a `chose` step")

    def data(self) -> dict[str, JSON]:
        data: dict[str, JSON] = {"call": self.call, "step": str(self.kind)}
        for name in ("node", "verb", "option", "by", "left", "queue"):
            value = getattr(self, name)
            if value:
                data[name] = value
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class SupervisorAction:
    """What a supervisor did, for the audit trail: `actor` (a user id) did `action` (a slug such as
    `monitor_join`) to `target` (what it concerns, e.g. an interaction id), with `details`. The event carries
    the interaction and the agent concerned, when there are, in its own fields too; its data names the actor
    `by`, as every supervisor action in the log does."""

    actor: str
    action: str
    target: str
    interaction_id: str | None = None
    agent_id: str | None = None
    details: Mapping[str, JSON] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("actor", "action", "target"):
            if not getattr(self, name):
                raise ValueError(f"supervisor action: {name} must not be empty")

    def data(self) -> dict[str, JSON]:
        return {
            "by": self.actor,
            "action": self.action,
            "target": self.target,
            "details": dict(self.details),
        }


class Event(NamedTuple):
    """One state change. `data` holds JSON values only and must not be mutated.

    A named tuple rather than a frozen dataclass: the router builds several per routing call, and a named
    tuple is built in one allocation where a frozen dataclass pays one `object.__setattr__` per field.
    """

    seq: int
    type: EventType
    at: float
    interaction_id: str | None = None
    agent_id: str | None = None
    data: Mapping[str, JSON] = _NO_DATA

    def to_dict(self) -> dict[str, JSON]:
        return {
            "seq": self.seq,
            "type": str(self.type),
            "at": self.at,
            "interaction_id": self.interaction_id,
            "agent_id": self.agent_id,
            "data": dict(self.data),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, JSON]) -> Event:
        seq, kind, at, data = raw["seq"], raw["type"], raw["at"], raw.get("data") or {}
        iid, aid = raw.get("interaction_id"), raw.get("agent_id")
        if not isinstance(seq, int) or not isinstance(kind, str) or not isinstance(at, int | float):
            raise ValueError(f"event: bad seq/type/at in {raw!r}")
        if not isinstance(data, dict) or not isinstance(iid, str | None) or not isinstance(aid, str | None):
            raise ValueError(f"event {seq}: bad data/interaction_id/agent_id")
        return cls(seq=seq, type=EventType(kind), at=float(at), interaction_id=iid, agent_id=aid, data=data)
