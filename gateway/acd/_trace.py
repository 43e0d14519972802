"""Why the core chose what it chose: one `Decision` per matching attempt, kept per interaction.

A decision is recorded on every routing call, but read only when a supervisor asks; so it keeps its
candidates and exclusions as plain tuples and builds `Candidate`/`Exclusion` values only when read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .events import JSON

__all__ = [
    "Candidate",
    "Decision",
    "Exclusion",
    "ExclusionReason",
    "RawCandidate",
    "RawExclusion",
    "SharedExclusion",
    "SharedHead",
    "TraceLog",
    "Trigger",
]


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


RawCandidate = tuple[str, str, tuple[float, ...]]  # the fields of a `Candidate`, in order
RawExclusion = tuple[str, str, ExclusionReason, str]  # the fields of an `Exclusion`, in order
# the shared forms a decision keeps instead of one new tuple per line (the reader rebuilds the raw ones):
# an agent-side candidate as the matcher memoised it, and an exclusion reused for a whole class
SharedHead = tuple[tuple[float, ...], str, str]  # (score, interaction id, queue), the agent is the chooser
SharedExclusion = tuple[str, ExclusionReason, str]  # (agent, reason, detail), the interaction is `_for`


class Decision:
    """One matching attempt: the rule, the candidates best first, and who was excluded and why.

    Immutable once built. `Decision.compact` is the cheap constructor the matcher uses.
    """

    __slots__ = (
        "_for",
        "_heads",
        "_raw_c",
        "_raw_e",
        "_sample",
        "at",
        "chosen_agent",
        "chosen_interaction",
        "queue",
        "rule",
        "trigger",
        "unavailable_not_listed",
    )
    at: float
    trigger: Trigger
    queue: str
    rule: str  # the strategy, "preferred_agent", or "agent_side" (priority, weight, age)
    chosen_agent: str | None
    chosen_interaction: str | None
    unavailable_not_listed: int  # agents of the pool left out of `excluded` to bound the cost
    _raw_c: tuple[RawCandidate, ...]
    _heads: tuple[SharedHead, ...]  # candidates of `chosen_agent`, after `_raw_c`
    _raw_e: tuple[RawExclusion, ...]
    _sample: tuple[SharedExclusion, ...]  # exclusions of interaction `_for`, after `_raw_e`
    _for: str

    def __init__(
        self,
        *,
        at: float,
        trigger: Trigger,
        queue: str,
        rule: str,
        chosen_agent: str | None,
        chosen_interaction: str | None,
        candidates: Iterable[Candidate] = (),
        excluded: Iterable[Exclusion] = (),
        unavailable_not_listed: int = 0,
    ) -> None:
        raw_c = tuple((c.agent_id, c.interaction_id, c.score) for c in candidates)
        raw_e = tuple((e.agent_id, e.interaction_id, e.reason, e.detail) for e in excluded)
        _fill(self, at, trigger, queue, rule, chosen_agent, chosen_interaction, raw_c, raw_e)
        _set(self, "unavailable_not_listed", unavailable_not_listed)
        _set(self, "_heads", ())
        _set(self, "_sample", ())
        _set(self, "_for", "")

    @classmethod
    def compact(
        cls,
        at: float,
        trigger: Trigger,
        queue: str,
        rule: str,
        chosen_agent: str | None,
        chosen_interaction: str | None,
        candidates: tuple[RawCandidate, ...],
        excluded: tuple[RawExclusion, ...],
        unavailable_not_listed: int = 0,
        *,
        heads: tuple[SharedHead, ...] = (),
        sample: tuple[SharedExclusion, ...] = (),
        sample_for: str = "",
    ) -> Decision:
        """`heads` (candidates of `chosen_agent`) and `sample` (exclusions of `sample_for`) follow
        `candidates` and `excluded`: tuples shared with the matcher's caches, expanded only when read."""
        d = object.__new__(cls)
        _fill(d, at, trigger, queue, rule, chosen_agent, chosen_interaction, candidates, excluded)
        _set(d, "unavailable_not_listed", unavailable_not_listed)
        _set(d, "_heads", heads)
        _set(d, "_sample", sample)
        _set(d, "_for", sample_for)
        return d

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Decision is immutable: cannot set {name!r}")

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        """Best first; the chosen one (if any) is the first."""
        return tuple(Candidate(*c) for c in self._candidates)

    @property
    def excluded(self) -> tuple[Exclusion, ...]:
        return tuple(Exclusion(*e) for e in self._excluded)

    @property
    def _candidates(self) -> tuple[RawCandidate, ...]:
        if not self._heads:
            return self._raw_c
        aid = self.chosen_agent or ""
        return self._raw_c + tuple([(aid, iid, score) for score, iid, _ in self._heads])

    @property
    def _excluded(self) -> tuple[RawExclusion, ...]:
        if not self._sample:
            return self._raw_e
        iid = self._for
        return self._raw_e + tuple([(aid, iid, reason, detail) for aid, reason, detail in self._sample])

    @property
    def best_score(self) -> tuple[float, ...] | None:
        if self._raw_c:
            return self._raw_c[0][2]
        return self._heads[0][0] if self._heads else None

    @property
    def candidate_count(self) -> int:
        return len(self._raw_c) + len(self._heads)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in _FIELDS)

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, f) for f in _FIELDS))

    def __repr__(self) -> str:
        return f"Decision({', '.join(f'{k}={v!r}' for k, v in self.to_dict().items())})"

    def to_dict(self) -> dict[str, JSON]:
        return {
            "at": self.at,
            "trigger": str(self.trigger),
            "queue": self.queue,
            "rule": self.rule,
            "chosen_agent": self.chosen_agent,
            "chosen_interaction": self.chosen_interaction,
            "candidates": [
                {"agent_id": aid, "interaction_id": iid, "score": list(score)}
                for aid, iid, score in self._candidates
            ],
            "excluded": [
                {"agent_id": aid, "interaction_id": iid, "reason": str(reason), "detail": detail}
                for aid, iid, reason, detail in self._excluded
            ],
            "unavailable_not_listed": self.unavailable_not_listed,
        }


_set = object.__setattr__


def _fill(
    d: Decision,
    at: float,
    trigger: Trigger,
    queue: str,
    rule: str,
    chosen_agent: str | None,
    chosen_interaction: str | None,
    candidates: tuple[RawCandidate, ...],
    excluded: tuple[RawExclusion, ...],
) -> None:
    _set(d, "at", at)
    _set(d, "trigger", trigger)
    _set(d, "queue", queue)
    _set(d, "rule", rule)
    _set(d, "chosen_agent", chosen_agent)
    _set(d, "chosen_interaction", chosen_interaction)
    _set(d, "_raw_c", candidates)
    _set(d, "_raw_e", excluded)


_FIELDS = (
    "at",
    "trigger",
    "queue",
    "rule",
    "chosen_agent",
    "chosen_interaction",
    "_candidates",
    "_excluded",
    "unavailable_not_listed",
)


class TraceLog:
    """The last `per_interaction` decisions of each interaction still known to the core."""

    def __init__(self, per_interaction: int = 32) -> None:
        self._per_interaction = per_interaction
        # a list, not a deque: most interactions hold one or two decisions, and a deque costs ~600 bytes
        self._log: dict[str, list[Decision]] = {}

    def record(self, interaction_id: str, decision: Decision) -> None:
        if self._per_interaction <= 0:
            return
        log = self._log.get(interaction_id)
        if log is None:
            self._log[interaction_id] = [decision]
            return
        log.append(decision)
        if len(log) > self._per_interaction:
            del log[0]

    def of(self, interaction_id: str) -> tuple[Decision, ...]:
        return tuple(self._log.get(interaction_id, ()))

    def forget(self, interaction_id: str) -> None:
        self._log.pop(interaction_id, None)
