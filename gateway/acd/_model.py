"""Runtime values of the routing core: presence, new interactions, and the read-only views it hands out.

The mutable working records (`Interaction`, `Agent`) are private to the core; callers only see views.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

from .events import JSON
from .specs import AgentSpec, Channel, QueueMember, SkillRequirement

if TYPE_CHECKING:
    from ._index import WaitClass
    from ._trace import Decision

__all__ = [
    "Agent",
    "AgentView",
    "AttributeValue",
    "CustomerContext",
    "Interaction",
    "InteractionState",
    "InteractionView",
    "NewInteraction",
    "Presence",
    "PresenceKind",
    "QueueSnapshot",
    "Requirements",
]

AttributeValue = str | int | float | bool
# (skill, min level) sorted by skill: hashable, so interactions with equal needs share an index class
Requirements = tuple[tuple[str, int], ...]


class PresenceKind(StrEnum):
    OFFLINE = "offline"
    AVAILABLE = "available"
    NOT_READY = "not_ready"
    WRAP_UP = "wrap_up"


@dataclass(frozen=True, slots=True)
class Presence:
    kind: PresenceKind
    reason: str | None = None  # NOT_READY
    until: float | None = None  # WRAP_UP

    @classmethod
    def offline(cls) -> Presence:
        return cls(PresenceKind.OFFLINE)

    @classmethod
    def available(cls) -> Presence:
        return cls(PresenceKind.AVAILABLE)

    @classmethod
    def not_ready(cls, reason: str) -> Presence:
        return cls(PresenceKind.NOT_READY, reason=reason)

    @classmethod
    def wrap_up(cls, until: float) -> Presence:
        return cls(PresenceKind.WRAP_UP, until=until)

    def to_dict(self) -> dict[str, JSON]:
        return {"kind": str(self.kind), "reason": self.reason, "until": self.until}

    @classmethod
    def from_dict(cls, raw: Mapping[str, JSON]) -> Presence:
        kind, reason, until = raw.get("kind"), raw.get("reason"), raw.get("until")
        if not isinstance(kind, str) or not isinstance(reason, str | None):
            raise ValueError(f"presence: bad kind/reason in {raw!r}")
        if not isinstance(until, int | float | None):
            raise ValueError(f"presence: bad until in {raw!r}")
        return cls(PresenceKind(kind), reason=reason, until=None if until is None else float(until))


def requirements(skills: tuple[SkillRequirement, ...]) -> Requirements:
    """Normalise to one requirement per skill (the strictest), sorted by skill."""
    levels: dict[str, int] = {}
    for req in skills:
        levels[req.skill] = max(levels.get(req.skill, 0), req.min_level)
    return tuple(sorted(levels.items()))


@dataclass(frozen=True, slots=True)
class CustomerContext:
    """Who the customer is, found once when the work arrived (the IVR's lookup, a chat's form, a REST call).

    It travels with the interaction: stored in its RECEIVED event, so the screen pop, the case and the
    activity log read it instead of asking the CRM again, and a replay restores it. The core never routes
    on it: the entitlement rule it names was applied to the priority and queue before the interaction
    was enqueued, and `rule` says so in the interaction's trace.
    """

    customer_id: str | None = None
    level: str | None = None  # the covering entitlement's level; None when no entitlement covers them
    rule: str = ""  # the entitlement rule that changed the routing, in words ("" when none did)
    priority_delta: int = 0
    queue: str | None = None  # the queue the rule sent the work to, if it moved it
    crm_unavailable: bool = False
    details: Mapping[str, JSON] = field(default_factory=dict)  # the CRM's answer as JSON, for the pop

    def to_dict(self) -> dict[str, JSON]:
        return {
            "customer_id": self.customer_id,
            "level": self.level,
            "rule": self.rule,
            "priority_delta": self.priority_delta,
            "queue": self.queue,
            "crm_unavailable": self.crm_unavailable,
            "details": dict(self.details),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, JSON]) -> CustomerContext:
        texts = {key: raw.get(key) for key in ("customer_id", "level", "queue")}
        rule, delta, details = raw.get("rule", ""), raw.get("priority_delta", 0), raw.get("details", {})
        strings = {k: v for k, v in texts.items() if isinstance(v, str)}
        if len(strings) + sum(v is None for v in texts.values()) < 3 or not isinstance(rule, str):
            raise ValueError(f"customer: customer_id, level, queue and rule must be strings in {raw!r}")
        if not isinstance(delta, int) or isinstance(delta, bool) or not isinstance(details, dict):
            raise ValueError(f"customer: bad priority_delta or details in {raw!r}")
        return cls(
            customer_id=strings.get("customer_id"),
            level=strings.get("level"),
            rule=rule,
            priority_delta=delta,
            queue=strings.get("queue"),
            crm_unavailable=raw.get("crm_unavailable") is True,
            details=details,
        )


@dataclass(frozen=True, slots=True)
class NewInteraction:
    """An interaction entering the core. `skills=None` means "what the queue requires"."""

    id: str
    queue: str
    channel: Channel = Channel.VOICE
    skills: tuple[SkillRequirement, ...] | None = None
    priority: int = 0  # higher is more urgent
    attributes: Mapping[str, AttributeValue] | tuple[tuple[str, AttributeValue], ...] = ()
    preferred_agent: str | None = None
    # only this agent may ever take it, whatever the relaxation steps (a click-to-dial, a direct transfer)
    only_agent: str | None = None
    enqueue_time: float | None = None  # keep the original wait after a transfer; default: now
    # Not used for routing: carried in the RECEIVED event so the log alone says whose interaction it is.
    customer_ref: str | None = None
    customer: CustomerContext | None = None
    # the customer is not on the line and will be called back: it keeps its place past the queue's
    # max wait and is admitted while the queue is closed (an agent who takes it calls them)
    callback: bool = False

    def __post_init__(self) -> None:
        # checked here, once: the router trusts these values when it logs and folds the RECEIVED event
        if not self.id or not isinstance(self.id, str):
            raise ValueError("interaction: id must be a non-empty string")
        where = f"interaction {self.id!r}"
        if not isinstance(self.priority, int) or isinstance(self.priority, bool):
            raise ValueError(f"{where}: priority must be an integer, got {self.priority!r}")
        if not isinstance(self.preferred_agent, str | None) or not isinstance(self.customer_ref, str | None):
            raise ValueError(f"{where}: preferred_agent and customer_ref must be strings")
        if not isinstance(self.callback, bool):
            raise ValueError(f"{where}: callback must be true or false, got {self.callback!r}")
        if not isinstance(self.customer, CustomerContext | None):
            raise ValueError(f"{where}: customer must be a CustomerContext, got {self.customer!r}")
        if self.only_agent is not None and (not isinstance(self.only_agent, str) or not self.only_agent):
            raise ValueError(f"{where}: only_agent must be a non-empty string, got {self.only_agent!r}")
        if isinstance(self.enqueue_time, bool) or not isinstance(self.enqueue_time, int | float | None):
            raise ValueError(f"{where}: enqueue_time must be a number, got {self.enqueue_time!r}")
        items = self.attributes.items() if isinstance(self.attributes, Mapping) else self.attributes
        # an immutable, canonical form: equal attributes compare and serialise the same way
        attributes = tuple(sorted((str(k), v) for k, v in items))
        for key, value in attributes:
            if not isinstance(value, str | int | float | bool):
                raise ValueError(f"{where}: attribute {key!r} must be a string, number or boolean")
        object.__setattr__(self, "attributes", attributes)
        for req in self.skills or ():
            if not 1 <= req.min_level <= 10:
                raise ValueError(f"{where}: skill {req.skill!r} min_level must be 1-10")


class InteractionState(StrEnum):
    NEW = "new"  # between RECEIVED/OVERFLOWED and entering a queue; never visible after a call returns
    WAITING = "waiting"
    OFFERED = "offered"
    ASSIGNED = "assigned"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class InteractionView:
    id: str
    channel: Channel
    queue: str
    state: InteractionState
    priority: int
    skills: Requirements
    attributes: tuple[tuple[str, AttributeValue], ...]
    preferred_agent: str | None
    only_agent: str | None
    enqueue_time: float
    queue_entered_at: float
    agent_id: str | None
    offer_deadline: float | None
    declined: tuple[str, ...]
    relaxation_steps_applied: int
    widened_to: tuple[str, ...]
    waits_for_preferred: bool
    end_reason: str | None
    ended_at: float | None
    customer: CustomerContext | None = None
    answered_at: float | None = None  # when an agent accepted it
    callback: bool = False

    def to_dict(self) -> dict[str, JSON]:
        return {
            "id": self.id,
            "channel": str(self.channel),
            "queue": self.queue,
            "state": str(self.state),
            "priority": self.priority,
            "skills": [[s, lvl] for s, lvl in self.skills],
            "attributes": {k: v for k, v in self.attributes},
            "preferred_agent": self.preferred_agent,
            "only_agent": self.only_agent,
            "enqueue_time": self.enqueue_time,
            "queue_entered_at": self.queue_entered_at,
            "agent_id": self.agent_id,
            "offer_deadline": self.offer_deadline,
            "declined": list(self.declined),
            "relaxation_steps_applied": self.relaxation_steps_applied,
            "widened_to": list(self.widened_to),
            "waits_for_preferred": self.waits_for_preferred,
            "end_reason": self.end_reason,
            "ended_at": self.ended_at,
            "customer": None if self.customer is None else self.customer.to_dict(),
            "answered_at": self.answered_at,
            "callback": self.callback,
        }


class WorkBrief(NamedTuple):
    """What a wallboard lists of a piece of work: a light read (a tuple, not a whole `InteractionView`),
    as a console lists dozens per push."""

    id: str
    queue: str
    channel: Channel
    state: InteractionState
    agent_id: str | None
    enqueue_time: float
    answered_at: float | None


@dataclass(frozen=True, slots=True)
class AgentView:
    id: str
    presence: Presence
    idle_since: float
    used_units: int
    total_units: int
    offered: tuple[str, ...]
    assigned: tuple[str, ...]

    def to_dict(self) -> dict[str, JSON]:
        return {
            "id": self.id,
            "presence": self.presence.to_dict(),
            "idle_since": self.idle_since,
            "used_units": self.used_units,
            "total_units": self.total_units,
            "offered": list(self.offered),
            "assigned": list(self.assigned),
        }


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    queue_id: str
    waiting: int
    oldest_enqueue_time: float | None
    agents_available: int  # could take an interaction of the queue's channel now
    agents_busy: int  # signed in (not offline) and holding work or not ready
    answered: int
    answered_within_service_level: int
    abandoned: int
    service_level: float | None  # answered within target / (answered + abandoned); None before any


@dataclass(slots=True, eq=False)
class Interaction:
    """The core's working record of one interaction (mutated only by `RoutingState.apply`)."""

    id: str
    channel: Channel
    priority: int
    attributes: tuple[tuple[str, AttributeValue], ...]
    preferred_agent: str | None
    enqueue_time: float
    arrival: int  # seq of RECEIVED: breaks ties between equal enqueue times, so FIFO is total
    own_skills: Requirements | None
    only_agent: str | None = None  # never relaxed: `sticky` stays set while it is
    customer: CustomerContext | None = None  # carried, never read by routing
    callback: bool = False  # no max wait, admitted while closed (see NewInteraction)
    state: InteractionState = InteractionState.NEW
    queue: str = ""
    skills: Requirements = ()
    queue_entered_at: float = 0.0
    queue_epoch: int = 0  # bumped on every queue entry: invalidates that queue's timers
    steps_applied: int = 0
    widened: tuple[str, ...] = ()
    sticky: bool = False  # only `target` may take it: the only agent, or the preferred one until dropped
    prefer: bool = False  # the preferred agent goes first when eligible
    # replaced, never mutated: most interactions are never declined and share the empty one
    declined: frozenset[str] = frozenset()
    agent: str | None = None
    offer_epoch: int = 0
    offer_deadline: float | None = None
    end_reason: str | None = None
    ended_at: float | None = None
    answered_at: float | None = None
    wait_class: WaitClass | None = None  # derived: the waiting-index class holding it while it waits
    trace: Decision | list[Decision] | None = None  # its last decisions (see `TraceLog`)

    @property
    def target(self) -> str | None:
        """The one agent a sticky interaction waits for."""
        return self.only_agent if self.only_agent is not None else self.preferred_agent

    def brief(self) -> WorkBrief:
        return WorkBrief(
            self.id, self.queue, self.channel, self.state, self.agent, self.enqueue_time, self.answered_at
        )

    def view(self) -> InteractionView:
        return InteractionView(
            id=self.id,
            channel=self.channel,
            queue=self.queue,
            state=self.state,
            priority=self.priority,
            skills=self.skills,
            attributes=self.attributes,
            preferred_agent=self.preferred_agent,
            only_agent=self.only_agent,
            enqueue_time=self.enqueue_time,
            queue_entered_at=self.queue_entered_at,
            agent_id=self.agent,
            offer_deadline=self.offer_deadline,
            declined=tuple(sorted(self.declined)),
            relaxation_steps_applied=self.steps_applied,
            widened_to=self.widened,
            waits_for_preferred=self.sticky,
            end_reason=self.end_reason,
            ended_at=self.ended_at,
            customer=self.customer,
            answered_at=self.answered_at,
            callback=self.callback,
        )


@dataclass(slots=True, eq=False)
class Agent:
    """The core's working record of one agent (mutated only by `RoutingState.apply`)."""

    spec: AgentSpec
    order: int  # stable position for round robin over skill-only queues
    levels: dict[str, int]
    members: dict[str, QueueMember]  # queue id -> membership, for queues that list members
    presence: Presence = field(default_factory=Presence.offline)
    idle_since: float = 0.0
    used: int = 0
    exclusive: int = 0  # items of an exclusive channel (voice) in progress
    work: dict[str, Channel] = field(default_factory=dict)  # offered or assigned interaction -> channel
    # derived from the spec once, read on every routing call
    id: str = field(init=False)
    total: int = field(init=False)
    costs: dict[Channel, int] = field(init=False)
    exclusive_channels: frozenset[Channel] = field(init=False)
    version: int = 0  # bumped on every change of presence or work: lets explanations be reused

    def __post_init__(self) -> None:
        capacity = self.spec.capacity
        self.id, self.total = self.spec.id, capacity.total
        self.costs = {ch: capacity.cost_of(ch) for ch in Channel}
        self.exclusive_channels = frozenset(capacity.exclusive)

    def has_room_for(self, channel: Channel) -> bool:
        if self.exclusive:
            return False
        if self.work and channel in self.exclusive_channels:
            return False
        return self.used + self.costs[channel] <= self.total

    def is_available(self) -> bool:
        """Could take *some* work now: the index of available agents holds exactly these."""
        return self.presence.kind is _AVAILABLE and not self.exclusive and self.used < self.total

    def view(self, offered: tuple[str, ...], assigned: tuple[str, ...]) -> AgentView:
        return AgentView(
            id=self.id,
            presence=self.presence,
            idle_since=self.idle_since,
            used_units=self.used,
            total_units=self.total,
            offered=offered,
            assigned=assigned,
        )


_AVAILABLE = PresenceKind.AVAILABLE  # a module constant: reading an enum member costs ~0.2 us in 3.11
