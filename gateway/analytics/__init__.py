"""Analytics: the one metrics engine every figure comes from (wallboard, REST, Prometheus, reports).

engine = MetricsEngine([QueueMetricsSpec("support", ServiceLevelSpec(20, 80, "offered"))],
                       agents=["alice"], timezone="Europe/Paris")
for event in log: engine.apply(event)          # pure fold, live or replayed: the same figures
engine.queue("support", now) / engine.agent("alice", now)    # today, with live state
engine.queue_intervals("support", start, end, Granularity.MIN15)
engine.snapshot(now)                           # the whole day, for a console on connect
engine.changes()                               # queues/agents touched since last asked (deltas)
"""

from __future__ import annotations

from ._calendar import Granularity
from ._configured import engine_for, metrics_specs
from ._engine import MetricsEngine
from ._feed import StatsFeed, StatsListener
from ._figures import AgentFigures, Changes, QueueFigures, Snapshot, service_level
from ._specs import QueueMetricsSpec, ServiceLevelDefinition, ServiceLevelSpec
from .errors import AnalyticsError, BadPeriod, UnknownScope

__all__ = [
    "AgentFigures",
    "AnalyticsError",
    "BadPeriod",
    "Changes",
    "Granularity",
    "MetricsEngine",
    "QueueFigures",
    "QueueMetricsSpec",
    "ServiceLevelDefinition",
    "ServiceLevelSpec",
    "Snapshot",
    "StatsFeed",
    "StatsListener",
    "UnknownScope",
    "engine_for",
    "metrics_specs",
    "service_level",
]
