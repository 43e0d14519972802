"""Why the core chose what it chose: one `Decision` per matching attempt, kept per interaction."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from .events import JSON

__all__ = ["Candidate", "Decision", "Exclusion", "ExclusionReason", "TraceLog", "Trigger"]


class Trigger(StrEnum):
    ARRIVED = "arrived"  # entered a queue (first time or overflow)
    RETURNED = "returned"  # back from a rejected, missed or revoked offer
    RELAXED = "relaxed"
    AGENT_FREE = "agent_free"  # an agent became available or freed capacity


class ExclusionReason(StrEnum):
    SKILL = "skill"
    LEVEL = "level"
    CAPACITY = "capacity"
    PRESENCE = "presence"
    WRAP_UP = "wrap_up"
    DECLINED_BEFORE = "declined_before"
    NOT_MEMBER = "not_member"
    NOT_PREFERRED = "not_preferred"  # the interaction still waits for its sticky agent


@dataclass(frozen=True, slots=True)
class Candidate:
    agent_id: str
    interaction_id: str
    score: tuple[float, ...]  # lower sorts first; meaning depends on `Decision.rule`


@dataclass(frozen=True, slots=True)
class Exclusion:
    agent_id: str
    interaction_id: str
    reason: ExclusionReason
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    at: float
    trigger: Trigger
    queue: str
    rule: str  # the strategy, "preferred_agent", or "agent_side" (priority, weight, age)
    chosen_agent: str | None
    chosen_interaction: str | None
    candidates: tuple[Candidate, ...]  # best first
    excluded: tuple[Exclusion, ...]
    unavailable_not_listed: int = 0  # agents of the pool left out of `excluded` to bound the cost

    def to_dict(self) -> dict[str, JSON]:
        return {
            "at": self.at,
            "trigger": str(self.trigger),
            "queue": self.queue,
            "rule": self.rule,
            "chosen_agent": self.chosen_agent,
            "chosen_interaction": self.chosen_interaction,
            "candidates": [
                {"agent_id": c.agent_id, "interaction_id": c.interaction_id, "score": list(c.score)}
                for c in self.candidates
            ],
            "excluded": [
                {
                    "agent_id": e.agent_id,
                    "interaction_id": e.interaction_id,
                    "reason": str(e.reason),
                    "detail": e.detail,
                }
                for e in self.excluded
            ],
            "unavailable_not_listed": self.unavailable_not_listed,
        }


class TraceLog:
    """The last `per_interaction` decisions of each interaction still known to the core."""

    def __init__(self, per_interaction: int = 32) -> None:
        self._per_interaction = per_interaction
        self._log: dict[str, deque[Decision]] = {}

    def record(self, interaction_id: str, decision: Decision) -> None:
        log = self._log.get(interaction_id)
        if log is None:
            log = self._log[interaction_id] = deque(maxlen=self._per_interaction)
        log.append(decision)

    def of(self, interaction_id: str) -> tuple[Decision, ...]:
        return tuple(self._log.get(interaction_id, ()))

    def forget(self, interaction_id: str) -> None:
        self._log.pop(interaction_id, None)
