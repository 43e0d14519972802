"""What the engine keeps: counters per queue and agent (per 15-minute bucket and per local day), the
interactions it follows, ended work waiting for its wrap-up, and each agent's current state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from ._calendar import Period, buckets
from ._counters import AgentCounters, QueueCounters, summed

__all__ = ["Agent", "Closing", "Scope", "Work", "spend"]

C = TypeVar("C", QueueCounters, AgentCounters)


@dataclass(slots=True)
class Scope(Generic[C]):
    """One queue's or agent's counters: per 15-minute bucket, and per local day (so that the
    figures of "today" are read without summing buckets)."""

    make: Callable[[], C]
    buckets: dict[int, C] = field(default_factory=dict)
    days: dict[float, C] = field(default_factory=dict)
    _last: tuple[int, tuple[C, C]] | None = None  # most events land in the bucket of the one before

    def at(self, bucket: int, day: float) -> tuple[C, C]:
        last = self._last
        if last is not None and last[0] == bucket:
            return last[1]
        found = self._at(bucket, day)
        self._last = (bucket, found)
        return found

    def _at(self, bucket: int, day: float) -> tuple[C, C]:
        b = self.buckets.get(bucket)
        if b is None:
            b = self.buckets[bucket] = self.make()
        d = self.days.get(day)
        if d is None:
            d = self.days[day] = self.make()
        return b, d

    def period(self, period: Period) -> C:
        return summed(self.make(), (self.buckets[b] for b in buckets(period) if b in self.buckets))


@dataclass(slots=True)
class Work:
    """An interaction the engine follows, from `received` until it leaves (answered work: until it ends)."""

    queue: str
    queued_at: float | None = None
    agent: str | None = None
    assigned_at: float | None = None


@dataclass(slots=True)
class Closing:
    """Ended work whose wrap-up is still running: it is handled once the wrap-up is over."""

    queue: str
    ended_at: float
    talk: float
    hold: float


@dataclass(slots=True)
class Agent:
    presence: str = "offline"
    reason: str | None = None
    since: float | None = None  # up to when its time is counted; None before the agent's first event
    entered: float | None = None  # when the current state (busy, presence, reason) began
    work: dict[str, None] = field(default_factory=dict)
    closing: list[Closing] = field(default_factory=list)

    @property
    def state(self) -> str:
        return "busy" if self.work else self.presence

    def key(self) -> tuple[bool, str, str | None]:
        return bool(self.work), self.presence, self.reason


def spend(c: AgentCounters, agent: Agent, seconds: float) -> None:
    """`seconds` of the agent's current state, into `c`."""
    c.presence_seconds[agent.presence] = c.presence_seconds.get(agent.presence, 0.0) + seconds
    if agent.presence == "not_ready":
        reason = agent.reason or ""
        c.not_ready_seconds[reason] = c.not_ready_seconds.get(reason, 0.0) + seconds
    if agent.work:
        c.busy_seconds += seconds
    elif agent.presence == "wrap_up":
        c.wrap_up_seconds += seconds
    elif agent.presence == "available":
        c.idle_seconds += seconds
