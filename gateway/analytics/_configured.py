"""The metrics engine built from the validated configuration."""

from __future__ import annotations

from gateway.config import Config, QueueConfig, UserConfig

from ._engine import MetricsEngine
from ._specs import QueueMetricsSpec, ServiceLevelDefinition, ServiceLevelSpec

__all__ = ["engine_for", "metrics_specs"]


def engine_for(config: Config) -> MetricsEngine:
    return MetricsEngine(metrics_specs(config), [a.id for a in config.agents], timezone=config.timezone)


def metrics_specs(config: Config) -> list[QueueMetricsSpec]:
    """The queues as the metrics engine sees them: service-level rule, wrap-up, and the agents who can take
    their work (the members, or else every agent with the skills at the levels the queue asks)."""
    return [_metrics(q, config.agents) for q in config.queues]


def _metrics(queue: QueueConfig, agents: tuple[UserConfig, ...]) -> QueueMetricsSpec:
    sl = queue.service_level
    if queue.members:
        eligible = frozenset(m.agent for m in queue.members)
    else:
        eligible = frozenset(
            a.id for a in agents if all(a.skills.get(r.skill, 0) >= r.min_level for r in queue.skills)
        )
    return QueueMetricsSpec(
        id=queue.id,
        service_level=ServiceLevelSpec(
            threshold_seconds=sl.threshold_seconds,
            target_percent=sl.target_percent,
            definition=ServiceLevelDefinition(sl.definition),
            short_abandon_seconds=sl.short_abandon_seconds,
        ),
        agents=eligible,
        channel=str(queue.channel),
        wrap_up_seconds=queue.wrap_up_seconds,
    )
