"""What the simulator is fed: calls arriving (Poisson or from the event log) and the agents signed in."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from gateway.acd import AgentSpec, EventType, QueueMember, QueueSpec

__all__ = ["Arrival", "QueueLoad", "Staffing", "Team", "log_arrivals", "poisson_arrivals"]


@dataclass(frozen=True, slots=True)
class QueueLoad:
    """A queue's random traffic: Poisson arrivals, exponential handle times and (optionally) patience."""

    queue: str
    calls_per_hour: float
    handle_seconds: float
    patience_seconds: float | None = None  # mean time a caller waits before hanging up; None: never

    def __post_init__(self) -> None:
        if self.calls_per_hour < 0:
            raise ValueError(f"queue {self.queue!r}: arrivals must be >= 0 calls per hour")
        if self.handle_seconds <= 0:
            raise ValueError(f"queue {self.queue!r}: handle time must be > 0 seconds")
        if self.patience_seconds is not None and self.patience_seconds <= 0:
            raise ValueError(f"queue {self.queue!r}: patience must be > 0 seconds")


@dataclass(frozen=True, slots=True)
class Arrival:
    at: float  # seconds after the simulation starts
    queue: str
    handle_seconds: float
    patience_seconds: float | None = None  # hangs up after waiting this long; None: waits for ever


@dataclass(frozen=True, slots=True)
class Staffing:
    """Who is signed in: `pooled` agents serving every simulated queue, plus agents dedicated to one."""

    pooled: int = 0
    dedicated: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        if self.pooled < 0 or any(n < 0 for _, n in self.dedicated):
            raise ValueError("agents: a number of agents must be >= 0")
        if self.pooled + sum(n for _, n in self.dedicated) == 0:
            raise ValueError("agents: at least one agent is needed")


@dataclass(frozen=True, slots=True)
class Team:
    """The queues and agents the router is built from, and which agents may serve each queue."""

    queues: tuple[QueueSpec, ...]
    agents: tuple[AgentSpec, ...]
    eligible: Mapping[str, tuple[str, ...]]

    @classmethod
    def build(cls, queues: Sequence[QueueSpec], staffing: Staffing) -> Team:
        """Synthetic agents with level 10 in the skills they need: pooled ones in every queue's skills,
        dedicated ones in their queue's; each queue's members become the agents who may serve it."""
        by_id = {q.id: q for q in queues}
        for queue, _ in staffing.dedicated:
            if queue not in by_id:
                raise ValueError(f"agents: unknown queue {queue!r}")
        pooled = [f"agent-{n + 1}" for n in range(staffing.pooled)]
        dedicated = {q: [f"{q}-agent-{n + 1}" for n in range(k)] for q, k in staffing.dedicated}
        every_skill = {r.skill for q in queues for r in q.skills}
        agents = [AgentSpec(id=a, name=a, skills=_levels(every_skill)) for a in pooled]
        for q, names in dedicated.items():
            agents += [
                AgentSpec(id=a, name=a, skills=_levels(r.skill for r in by_id[q].skills)) for a in names
            ]
        eligible = {q: (*pooled, *dedicated.get(q, ())) for q in by_id}
        rebuilt = tuple(
            dataclasses.replace(q, members=tuple(QueueMember(agent_id=a) for a in eligible[q.id]))
            for q in queues
        )
        return cls(queues=rebuilt, agents=tuple(agents), eligible=eligible)


def _levels(skills: Iterable[str]) -> tuple[tuple[str, int], ...]:
    return tuple((s, 10) for s in sorted(set(skills)))


def poisson_arrivals(loads: Sequence[QueueLoad], hours: float, seed: int) -> list[Arrival]:
    """Arrivals over `hours`, each queue drawing from its own stream so adding a queue changes no other."""
    arrivals: list[Arrival] = []
    horizon = hours * 3600.0
    for load in loads:
        rng = random.Random(f"{seed}:{load.queue}")
        rate, t = load.calls_per_hour / 3600.0, 0.0
        while rate > 0:
            t += rng.expovariate(rate)
            if t >= horizon:
                break
            patience = None if load.patience_seconds is None else rng.expovariate(1 / load.patience_seconds)
            arrivals.append(Arrival(t, load.queue, rng.expovariate(1 / load.handle_seconds), patience))
    arrivals.sort(key=lambda a: a.at)
    return arrivals


def log_arrivals(
    events: Iterable[tuple[str, datetime, str | None, Mapping[str, object]]],
    start: datetime,
    hours: float,
    fallback: Mapping[str, QueueLoad],
    seed: int,
) -> list[Arrival]:
    """The calls of a stored day replayed: arrival times and queues as logged, handle time as each was
    talked (accepted -> ended), or drawn from the queue's load when the call was never answered."""
    received: dict[str, tuple[float, str]] = {}
    accepted: dict[str, float] = {}
    handled: dict[str, float] = {}
    begin = start.timestamp()
    for kind, at, iid, data in events:
        offset = at.timestamp() - begin
        if iid is None:
            continue
        if kind == EventType.RECEIVED and 0 <= offset < hours * 3600 and isinstance(data.get("queue"), str):
            received[iid] = (offset, str(data["queue"]))
        elif kind == EventType.ACCEPTED:
            accepted[iid] = offset
        elif kind == EventType.ENDED and iid in accepted:
            handled[iid] = offset - accepted[iid]
    rng = random.Random(f"{seed}:log")
    arrivals = []
    for iid, (offset, queue) in received.items():
        load = fallback.get(queue)
        seconds = handled.get(iid)
        if seconds is None or seconds <= 0:
            seconds = rng.expovariate(1 / load.handle_seconds) if load else 1.0
        patience = load.patience_seconds if load else None
        arrivals.append(
            Arrival(offset, queue, seconds, None if patience is None else rng.expovariate(1 / patience))
        )
    arrivals.sort(key=lambda a: a.at)
    return arrivals
