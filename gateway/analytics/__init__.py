"""Analytics: the one metrics engine every figure comes from (wallboard, REST, Prometheus, reports).

engine = MetricsEngine([QueueMetricsSpec("support", ServiceLevelSpec(20, 80, "offered"))],
                       agents=["alice"], timezone="Europe/Paris")
for event in log: engine.apply(event)          # pure fold, live or replayed: the same figures
engine.queue("support", now) / engine.agent("alice", now)    # today, with live state
engine.queue_intervals("support", start, end, Granularity.MIN15)
engine.ivr_intervals(start, end, Granularity.DAY)  # the IVR report: totals, and per step of the flows
engine.snapshot(now)                           # the whole day, for a console on connect
engine.changes()                               # what changed since last asked (the console's deltas)

The what-if simulator over the routing core, and Erlang C (speech lives in gateway/speech):

team = Team.build(queue_specs, Staffing(pooled=12))
arrivals = poisson_arrivals([QueueLoad("support", calls_per_hour=200, handle_seconds=180)], hours=8, seed=1)
result = Simulation(team=team, arrivals=arrivals, start=epoch, hours=8).run()
result.total("support").service_level
"""

from __future__ import annotations

from ._calendar import Granularity
from ._configured import engine_for, metrics_specs
from ._engine import MetricsEngine
from ._erlang import ErlangC, erlang_c, erlang_c_agents
from ._feed import StatsFeed
from ._figures import AgentFigures, AgentLive, Changes, QueueFigures, QueueLive, Snapshot, service_level
from ._ivr import IvrNodeFigures, IvrTotals
from ._progress import ProgressBar
from ._simulator import IntervalFigures, Simulation, SimulationResult
from ._specs import QueueMetricsSpec, ServiceLevelDefinition, ServiceLevelSpec
from ._workload import Arrival, QueueLoad, Staffing, Team, log_arrivals, poisson_arrivals
from .errors import AnalyticsError, BadPeriod, UnknownScope

__all__ = [
    "AgentFigures",
    "AgentLive",
    "AnalyticsError",
    "Arrival",
    "BadPeriod",
    "Changes",
    "ErlangC",
    "Granularity",
    "IntervalFigures",
    "IvrNodeFigures",
    "IvrTotals",
    "MetricsEngine",
    "ProgressBar",
    "QueueFigures",
    "QueueLive",
    "QueueLoad",
    "QueueMetricsSpec",
    "ServiceLevelDefinition",
    "ServiceLevelSpec",
    "Simulation",
    "SimulationResult",
    "Snapshot",
    "Staffing",
    "StatsFeed",
    "Team",
    "UnknownScope",
    "engine_for",
    "erlang_c",
    "erlang_c_agents",
    "log_arrivals",
    "metrics_specs",
    "poisson_arrivals",
    "service_level",
]
