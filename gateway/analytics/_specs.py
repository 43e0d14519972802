"""What the engine needs to know of a queue: its service-level rule and which agents can take its work."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["QueueMetricsSpec", "ServiceLevelDefinition", "ServiceLevelSpec"]


class ServiceLevelDefinition(StrEnum):
    """Which interactions a queue's service level is measured over (the numerator is always those answered
    within the threshold). "Short" abandons are those that waited less than `short_abandon_seconds`."""

    ANSWERED = "answered"  # over answered
    OFFERED = "offered"  # over answered + abandoned
    OFFERED_MINUS_SHORT = "offered_minus_short"  # over answered + abandoned, short abandons left out
    ABANDONED_AFTER_THRESHOLD = "abandoned_after_threshold"  # over answered + abandoned after the threshold
    ABANDONED_AFTER_THRESHOLD_MINUS_SHORT = (
        "abandoned_after_threshold_minus_short"  # the same, short left out
    )


@dataclass(frozen=True, slots=True)
class ServiceLevelSpec:
    threshold_seconds: float = 20.0
    target_percent: float = 80.0
    definition: ServiceLevelDefinition = ServiceLevelDefinition.OFFERED
    short_abandon_seconds: float = 0.0  # 0: no abandon is short

    def __post_init__(self) -> None:
        if self.threshold_seconds <= 0:
            raise ValueError(f"service_level.threshold_seconds must be > 0, got {self.threshold_seconds}")
        if not 0 < self.target_percent <= 100:
            raise ValueError(f"service_level.target_percent must be in (0, 100], got {self.target_percent}")
        if self.short_abandon_seconds < 0:
            raise ValueError(
                f"service_level.short_abandon_seconds must be >= 0, got {self.short_abandon_seconds}"
            )


@dataclass(frozen=True, slots=True)
class QueueMetricsSpec:
    """A queue as the engine sees it. `agents` are those who can take its work (for agents by state);
    `wrap_up_seconds` decides wrap-up for logs written before `ended` events said whether one follows."""

    id: str
    service_level: ServiceLevelSpec = ServiceLevelSpec()
    channel: str = "voice"  # a channel's figures are those of its queues
    agents: frozenset[str] = frozenset()
    wrap_up_seconds: float = 0.0
