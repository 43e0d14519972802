"""Analytics over the routing core: the what-if simulator and Erlang C.

team = Team.build(queue_specs, Staffing(pooled=12))
arrivals = poisson_arrivals([QueueLoad("support", calls_per_hour=200, handle_seconds=180)], hours=8, seed=1)
result = Simulation(team=team, arrivals=arrivals, start=epoch, hours=8).run()
result.total("support").service_level
"""

from __future__ import annotations

from ._erlang import ErlangC, erlang_c, erlang_c_agents
from ._simulator import IntervalFigures, Simulation, SimulationResult
from ._workload import Arrival, QueueLoad, Staffing, Team, log_arrivals, poisson_arrivals

__all__ = [
    "Arrival",
    "ErlangC",
    "IntervalFigures",
    "QueueLoad",
    "Simulation",
    "SimulationResult",
    "Staffing",
    "Team",
    "erlang_c",
    "erlang_c_agents",
    "log_arrivals",
    "poisson_arrivals",
]
