"""What the engine keeps: counters per queue and agent (per 15-minute bucket and per local day), the
interactions it follows, ended work waiting for its wrap-up, and each agent's current state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from heapq import heappop, heappush
from typing import Generic, TypeVar

from ._calendar import Period, buckets
from ._counters import BUCKET_SECONDS, AgentCounters, IvrCounters, QueueCounters, bucket_of, summed

__all__ = ["Agent", "Closing", "Scope", "Waiting", "Work", "spend"]

C = TypeVar("C", QueueCounters, AgentCounters, IvrCounters)


@dataclass(slots=True)
class Scope(Generic[C]):
    """One queue's or agent's counters: per 15-minute bucket, and per local day (so that the
    figures of "today" are read without summing buckets)."""

    make: Callable[[], C]
    buckets: dict[int, C] = field(default_factory=dict)
    days: dict[float, C] = field(default_factory=dict)
    start: float = float("inf")  # the bucket last counted into, [start, end): most events land there
    end: float = float("-inf")
    _pair: tuple[C, C] | None = None

    def at(self, at: float, day_of: Callable[[float], float]) -> tuple[C, C]:
        """The bucket's and the day's counters a fact at `at` counts into (`day_of`: its local day)."""
        pair = self._pair
        if pair is not None and self.start <= at < self.end:
            return pair
        bucket = bucket_of(at)
        pair = self._pair = self._at(bucket, day_of(at))
        self.start, self.end = bucket, bucket + BUCKET_SECONDS
        return pair

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
class Waiting:
    """The interactions waiting in one queue, each with when it first entered a queue. The oldest is kept
    on a heap (entries of those gone are dropped as they reach the top): a console's delta reads it for
    every changed queue, and a scan costs as much as the queue is long."""

    since: dict[str, float] = field(default_factory=dict)
    _heap: list[tuple[float, str]] = field(default_factory=list)

    def add(self, interaction_id: str, since: float) -> None:
        self.since[interaction_id] = since
        heappush(self._heap, (since, interaction_id))
        if len(self._heap) > 2 * len(self.since) + 64:  # stale entries behind a long wait: rebuild
            self._heap = sorted((at, iid) for iid, at in self.since.items())

    def remove(self, interaction_id: str) -> None:
        self.since.pop(interaction_id, None)

    def oldest(self) -> float | None:
        heap, since = self._heap, self.since
        while heap:
            at, iid = heap[0]
            if since.get(iid) == at:
                return at
            heappop(heap)
        return None


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
    ringing: dict[str, None] = field(default_factory=dict)  # offers ringing at the agent
    closing: list[Closing] = field(default_factory=list)

    @property
    def state(self) -> str:
        """busy (holding work), ringing (available, an offer ringing, no work yet), else its presence."""
        if self.work:
            return "busy"
        return "ringing" if self.ringing and self.presence == "available" else self.presence


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
        if agent.ringing:  # an offer rings: not idle, and not yet work (occupancy leaves it out)
            c.ringing_seconds += seconds
        else:
            c.idle_seconds += seconds
