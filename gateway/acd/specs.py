"""Configuration-time values the routing core is built from: queues, agents, capacity, relaxation.

These are produced by `gateway.config` from the YAML file and consumed by `gateway.acd`; they carry no
runtime state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "AgentSpec",
    "BusinessHours",
    "CapacityProfile",
    "Channel",
    "ExitAction",
    "ExitKind",
    "OpeningWindow",
    "QueueMember",
    "QueueSpec",
    "RelaxationKind",
    "RelaxationStep",
    "SkillRequirement",
    "Strategy",
]


class Channel(StrEnum):
    VOICE = "voice"
    CHAT = "chat"
    EMAIL = "email"
    CASE = "case"


class Strategy(StrEnum):
    LONGEST_IDLE = "longest_idle"
    LEAST_OCCUPIED = "least_occupied"
    ROUND_ROBIN = "round_robin"
    BEST_SKILL = "best_skill"


class RelaxationKind(StrEnum):
    LOWER_LEVEL = "lower_level"  # lower the minimum level of one skill
    DROP_SKILL = "drop_skill"  # stop requiring one skill
    WIDEN_QUEUE = "widen_queue"  # also offer to the members of another queue
    DROP_PREFERRED = "drop_preferred"  # stop waiting for the sticky/preferred agent


class ExitKind(StrEnum):
    OVERFLOW = "overflow"  # move to another queue, keeping the enqueue time
    VOICEMAIL = "voicemail"
    CALLBACK = "callback"
    DISCONNECT = "disconnect"


@dataclass(frozen=True, slots=True)
class SkillRequirement:
    skill: str
    min_level: int = 1


@dataclass(frozen=True, slots=True)
class RelaxationStep:
    after_seconds: float
    kind: RelaxationKind
    skill: str | None = None  # LOWER_LEVEL, DROP_SKILL
    to_level: int | None = None  # LOWER_LEVEL
    queue: str | None = None  # WIDEN_QUEUE


@dataclass(frozen=True, slots=True)
class ExitAction:
    kind: ExitKind
    queue: str | None = None  # OVERFLOW target


@dataclass(frozen=True, slots=True)
class OpeningWindow:
    """Open on `weekday` (0 = Monday) from `start_minute` to `end_minute` (minutes after midnight)."""

    weekday: int
    start_minute: int
    end_minute: int


@dataclass(frozen=True, slots=True)
class BusinessHours:
    name: str
    timezone: str
    windows: tuple[OpeningWindow, ...]
    closed_dates: tuple[str, ...] = ()  # ISO dates (holidays)


@dataclass(frozen=True, slots=True)
class QueueMember:
    agent_id: str
    priority: int = 0  # lower is offered first (tiers), as in app_queue penalties
    weight: int = 1


@dataclass(frozen=True, slots=True)
class QueueSpec:
    id: str
    name: str
    channel: Channel = Channel.VOICE
    strategy: Strategy = Strategy.LONGEST_IDLE
    skills: tuple[SkillRequirement, ...] = ()
    members: tuple[QueueMember, ...] = ()  # empty: every agent with the skills may serve
    service_level_seconds: float = 20.0
    service_level_target: float = 0.8
    relaxation: tuple[RelaxationStep, ...] = ()
    priority_aging_seconds: float | None = None  # +1 effective priority per this many seconds waited
    max_wait_seconds: float | None = None
    max_wait_exit: ExitAction = field(default_factory=lambda: ExitAction(ExitKind.DISCONNECT))
    max_length: int | None = None
    wrap_up_seconds: float = 0.0
    offer_timeout_seconds: float = 20.0
    missed_offer_reason: str = "missed"  # the agent goes not_ready with this reason on a missed offer
    business_hours: BusinessHours | None = None
    closed_exit: ExitAction = field(default_factory=lambda: ExitAction(ExitKind.VOICEMAIL))


@dataclass(frozen=True, slots=True)
class CapacityProfile:
    """Omni-Channel style capacity: the agent has `total` units; each channel costs some per item.

    `exclusive` channels (voice by default) cannot be combined with any other work in progress.
    """

    total: int = 4
    cost: tuple[tuple[Channel, int], ...] = (
        (Channel.VOICE, 4),
        (Channel.CHAT, 1),
        (Channel.EMAIL, 1),
        (Channel.CASE, 1),
    )
    exclusive: tuple[Channel, ...] = (Channel.VOICE,)

    def cost_of(self, channel: Channel) -> int:
        for ch, units in self.cost:
            if ch == channel:
                return units
        return self.total + 1  # a channel with no cost declared is never offered


@dataclass(frozen=True, slots=True)
class AgentSpec:
    id: str
    name: str
    skills: tuple[tuple[str, int], ...] = ()  # (skill, level 1-10)
    capacity: CapacityProfile = field(default_factory=CapacityProfile)
    sip_user: str | None = None
