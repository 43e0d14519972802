"""Erlang C: the planner's closed-form answer for one queue (Poisson arrivals, exponential handling, no
abandonment), used to start the simulator's staffing search and shown beside its figures."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["ErlangC", "erlang_c", "erlang_c_agents"]


@dataclass(frozen=True, slots=True)
class ErlangC:
    agents: int
    traffic: float  # offered load in Erlangs (arrival rate x mean handle time)
    wait_probability: float
    service_level: float  # share answered within the threshold
    asa_seconds: float  # mean wait over all calls
    occupancy: float


def erlang_c(agents: int, calls_per_hour: float, handle_seconds: float, threshold_seconds: float) -> ErlangC:
    """Erlang C figures; an overloaded queue (traffic >= agents) waits for ever: SL 0, ASA infinite."""
    if agents < 1 or calls_per_hour < 0 or handle_seconds <= 0 or threshold_seconds < 0:
        raise ValueError("erlang_c: needs agents >= 1, calls_per_hour >= 0, handle_seconds > 0")
    traffic = calls_per_hour * handle_seconds / 3600.0
    if traffic >= agents:
        return ErlangC(agents, traffic, 1.0, 0.0, math.inf, 1.0)
    pw = _wait_probability(agents, traffic)
    spare = agents - traffic
    service_level = 1.0 - pw * math.exp(-spare * threshold_seconds / handle_seconds)
    return ErlangC(agents, traffic, pw, service_level, pw * handle_seconds / spare, traffic / agents)


def erlang_c_agents(
    calls_per_hour: float, handle_seconds: float, threshold_seconds: float, target: float
) -> int:
    """The fewest agents whose Erlang C service level reaches `target` (a share, 0-1); a target of 100%,
    which no finite team meets, stops at ten times the load plus 100."""
    agents = max(1, math.floor(calls_per_hour * handle_seconds / 3600.0) + 1)
    limit = 10 * agents + 100
    while (
        agents < limit
        and erlang_c(agents, calls_per_hour, handle_seconds, threshold_seconds).service_level < target
    ):
        agents += 1
    return agents


def _wait_probability(agents: int, traffic: float) -> float:
    # Erlang B by its stable recurrence, then C from B: no factorials or powers that overflow
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return agents * blocking / (agents - traffic * (1.0 - blocking))
