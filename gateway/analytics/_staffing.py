"""The fewest agents that meet a queue's service-level target, found by simulating the queue alone."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gateway.acd import QueueSpec

from ._erlang import erlang_c_agents
from ._simulator import Simulation, SimulationResult
from ._workload import Arrival, Staffing, Team

__all__ = ["StaffingAnswer", "staffing_for"]


@dataclass(frozen=True, slots=True)
class StaffingAnswer:
    queue: str
    agents: int | None  # None: no number up to the search's limit met the target
    service_level: float | None  # simulated, with `agents`
    target: float
    threshold_seconds: float
    erlang_c_agents: int | None  # the closed-form answer for the same mean rate and handle time


def staffing_for(
    queue: QueueSpec,
    queues: Sequence[QueueSpec],
    arrivals: Sequence[Arrival],
    *,
    start: float,
    hours: float,
    interval_seconds: float,
    on_run: Callable[[], None] | None = None,
) -> StaffingAnswer:
    """Simulate `queue`'s own arrivals with n dedicated agents, from Erlang C's n, down or up to the edge."""
    own = [a for a in arrivals if a.queue == queue.id]
    if not own:
        return StaffingAnswer(queue.id, 0, None, queue.service_level_target, queue.service_level_seconds, 0)
    rate = len(own) / hours
    handle = sum(a.handle_seconds for a in own) / len(own)
    guess = erlang_c_agents(rate, handle, queue.service_level_seconds, queue.service_level_target)

    def level(n: int) -> float:
        team = Team.build(queues, Staffing(dedicated=((queue.id, n),)))
        result: SimulationResult = Simulation(
            team=team, arrivals=own, start=start, hours=hours, interval_seconds=interval_seconds
        ).run()
        if on_run is not None:
            on_run()
        return result.total(queue.id).service_level or 0.0

    n, sl = guess, level(guess)
    target = queue.service_level_target
    if sl >= target:
        while n > 1 and (lower := level(n - 1)) >= target:
            n, sl = n - 1, lower
        return StaffingAnswer(queue.id, n, sl, target, queue.service_level_seconds, guess)
    for n in range(guess + 1, 2 * guess + 10):
        if (sl := level(n)) >= target:
            return StaffingAnswer(queue.id, n, sl, target, queue.service_level_seconds, guess)
    return StaffingAnswer(queue.id, None, None, target, queue.service_level_seconds, guess)
