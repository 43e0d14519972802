"""The figures the engine answers with: frozen values computed from summed counters, one formula each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from ._counters import AgentCounters, QueueCounters
from ._specs import ServiceLevelDefinition, ServiceLevelSpec

__all__ = ["AgentFigures", "AgentLive", "Changes", "QueueFigures", "QueueLive", "Snapshot", "service_level"]

_D = ServiceLevelDefinition


class QueueFigures(NamedTuple):
    """One queue over one period. `waiting`, `oldest_wait_seconds` and `agents_by_state` are live: they are
    set for "today" and None for an interval.

    A named tuple, as `Event` is, rather than a frozen dataclass: a delta builds one per changed queue, and
    a frozen dataclass pays one `object.__setattr__` per field (26 here)."""

    queue: str
    start: float
    end: float
    offered: int
    answered: int
    answered_in_threshold: int
    abandoned: int
    abandoned_short: int
    exited: int
    refused: int
    overflowed: int
    moved: int
    missed_offers: int
    transfers: int
    handled: int
    service_level_percent: float | None
    service_level_met: bool | None
    service_level_target_percent: float
    service_level_threshold_seconds: float
    service_level_definition: str
    asa_seconds: float | None
    aht_seconds: float | None
    abandonment_percent: float | None
    longest_wait_seconds: float
    waiting: int | None = None
    oldest_wait_seconds: float | None = None
    agents_by_state: dict[str, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


class AgentFigures(NamedTuple):
    """One agent over one period; `state`, `presence`, `since` and `work` are live ("today" only). A named
    tuple for the reason `QueueFigures` is one."""

    agent: str
    start: float
    end: float
    offers: int
    answered: int
    missed: int
    rejected: int
    transfers: int
    handled: int
    aht_seconds: float | None
    occupancy_percent: float | None
    busy_seconds: float
    wrap_up_seconds: float
    idle_seconds: float
    ringing_seconds: float
    presence_seconds: dict[str, float]
    not_ready_seconds: dict[str, float]
    state: str | None = None  # offline | available | ringing | busy | wrap_up | not_ready
    presence: str | None = None
    presence_reason: str | None = None
    since: float | None = None
    work: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


class QueueLive(NamedTuple):
    """What a live view shows of a queue: today's figures of the same names as `QueueFigures`'s, and of the
    15-minute interval now running (`interval_*`), read without building either's whole figures (a console
    reads one per changed queue)."""

    waiting: int
    oldest_wait_seconds: float | None
    agents_by_state: dict[str, int]
    offered: int
    answered: int
    abandoned: int
    service_level_percent: float | None
    service_level_met: bool | None
    asa_seconds: float | None
    aht_seconds: float | None
    abandonment_percent: float | None
    interval_start: float
    interval_offered: int
    interval_service_level_percent: float | None
    interval_longest_wait_seconds: float
    interval_waits_ended: int  # answered, abandoned or exited in it: the waits its longest is the longest of


class AgentLive(NamedTuple):
    """What a live view shows of an agent today: the fields of `AgentFigures` of the same names, read without
    copying the day's counters (a console reads one per changed agent)."""

    state: str
    presence_reason: str | None
    since: float | None
    handled: int
    aht_seconds: float | None
    occupancy_percent: float | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything of the day at `at`: what a supervisor's console shows on connect."""

    at: float
    day_start: float
    queues: tuple[QueueFigures, ...]
    agents: tuple[AgentFigures, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "day_start": self.day_start,
            "queues": [q.to_dict() for q in self.queues],
            "agents": [a.to_dict() for a in self.agents],
        }


@dataclass(frozen=True, slots=True)
class Changes:
    """What events changed since the engine was last asked: `queues` whose figures or waiting work moved,
    `agents` whose figures, state or work did, and `states`: other queues, whose agents by state alone did
    (an agent of theirs changed state)."""

    queues: frozenset[str]
    agents: frozenset[str]
    states: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.queues or self.agents or self.states)


def service_level(c: QueueCounters, spec: ServiceLevelSpec) -> float | None:
    """Answered within the threshold, in percent of the definition's denominator (None when it is 0)."""
    d = spec.definition
    if d is _D.ANSWERED:
        base = c.answered
    elif d is _D.OFFERED:
        base = c.answered + c.abandoned
    elif d is _D.OFFERED_MINUS_SHORT:
        base = c.answered + c.abandoned - c.abandoned_short
    elif d is _D.ABANDONED_AFTER_THRESHOLD:
        base = c.answered + c.abandoned_after_threshold
    else:
        base = c.answered + c.abandoned_after_threshold - c.abandoned_after_threshold_short
    return 100.0 * c.answered_in_threshold / base if base else None


def met(service_level: float | None, spec: ServiceLevelSpec) -> bool | None:
    """Whether a service level meets its target (None when there is none yet)."""
    return None if service_level is None else service_level >= spec.target_percent


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def asa(c: QueueCounters) -> float | None:
    return _ratio(c.answer_wait_total, c.answered)


def aht(c: QueueCounters | AgentCounters) -> float | None:
    """Talk, hold and wrap-up per handled interaction."""
    return _ratio(c.talk_total + c.hold_total + c.wrap_total, c.handled)


def abandonment(c: QueueCounters) -> float | None:
    return _ratio(100.0 * c.abandoned, c.answered + c.abandoned)


def occupancy(working: float, idle: float) -> float | None:
    """Busy and wrap-up time, in percent of that and the available idle time."""
    return _ratio(100.0 * working, working + idle)


def queue_figures(
    queue: str,
    period: tuple[float, float],
    c: QueueCounters,
    spec: ServiceLevelSpec,
    *,
    waiting: int | None = None,
    oldest_wait_seconds: float | None = None,
    agents_by_state: dict[str, int] | None = None,
) -> QueueFigures:
    sl = service_level(c, spec)
    # positional, in the fields' order: keywords cost a console's delta three times as much per figure
    return QueueFigures(
        queue,
        period[0],
        period[1],
        c.offered,
        c.answered,
        c.answered_in_threshold,
        c.abandoned,
        c.abandoned_short,
        c.exited,
        c.refused,
        c.overflowed,
        c.moved,
        c.missed_offers,
        c.transfers,
        c.handled,
        sl,
        met(sl, spec),
        spec.target_percent,
        spec.threshold_seconds,
        str(spec.definition),
        asa(c),
        aht(c),
        abandonment(c),
        c.longest_wait,
        waiting,
        oldest_wait_seconds,
        agents_by_state,
    )


def agent_figures(
    agent: str,
    period: tuple[float, float],
    c: AgentCounters,
    *,
    state: str | None = None,
    presence: str | None = None,
    presence_reason: str | None = None,
    since: float | None = None,
    work: tuple[str, ...] | None = None,
) -> AgentFigures:
    """`state` to `work` are live ("today" only). `c` is the caller's own copy (a sum, or a copy of what
    the engine keeps): its dicts go into the figures as they are."""
    working = c.busy_seconds + c.wrap_up_seconds
    return AgentFigures(  # positional, as in `queue_figures`
        agent,
        period[0],
        period[1],
        c.offers,
        c.answered,
        c.missed,
        c.rejected,
        c.transfers,
        c.handled,
        aht(c),
        occupancy(working, c.idle_seconds),
        c.busy_seconds,
        c.wrap_up_seconds,
        c.idle_seconds,
        c.ringing_seconds,
        c.presence_seconds,
        c.not_ready_seconds,
        state,
        presence,
        presence_reason,
        since,
        work,
    )
