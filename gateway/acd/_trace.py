"""Why the core chose what it chose: one `Decision` per matching attempt, kept per interaction.

A decision is recorded on every routing call, but read only when a supervisor asks; so it keeps its
candidates and exclusions as plain tuples and builds `Candidate`/`Exclusion` values only when read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from .events import JSON

__all__ = [
    "CANDIDATES_KEPT",
    "Candidate",
    "Decision",
    "Exclusion",
    "ExclusionReason",
    "RawCandidate",
    "RawExclusion",
    "SharedExclusion",
    "SharedHead",
    "TraceLog",
    "Traced",
    "Trigger",
]


# how many candidates a decision lists (the chosen one first)
CANDIDATES_KEPT = 8


class Trigger(StrEnum):
    ARRIVED = "arrived"  # entered a queue (first time or overflow)
    RETURNED = "returned"  # back from a rejected, missed or revoked offer
    RELAXED = "relaxed"
    AGENT_FREE = "agent_free"  # an agent became available or freed capacity
    SUPERVISOR = "supervisor"  # a supervisor offered it to a named agent


class ExclusionReason(StrEnum):
    SKILL = "skill"
    LEVEL = "level"
    CAPACITY = "capacity"
    PRESENCE = "presence"
    WRAP_UP = "wrap_up"
    DECLINED_BEFORE = "declined_before"
    NOT_MEMBER = "not_member"
    NOT_PREFERRED = "not_preferred"  # the interaction still waits for its sticky agent
    NOT_THE_AGENT = "not_the_agent"  # the interaction may only ever go to its `only_agent`


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
# the best first, the runners-up in any order (sorted when read)
# (score..., interaction id, queue): the four numbers of the score, then the ids; the agent is the chooser
SharedHead = tuple[float, float, float, float, str, str]
SharedExclusion = tuple[str, ExclusionReason, str]  # (agent, reason, detail), the interaction is `_for`


_Fields = tuple[
    float,  # at
    Trigger,
    str,  # queue
    str,  # rule
    str | None,  # chosen agent
    str | None,  # chosen interaction
    int,  # unavailable agents not listed
    tuple[RawCandidate, ...],
    tuple[SharedHead, ...],  # candidates of the chosen agent, after the raw ones
    tuple[RawExclusion, ...],
    tuple[SharedExclusion, ...],  # exclusions of interaction `_for`, after the raw ones
    str,  # _for
]


class Decision(_Fields):
    """One matching attempt: the rule, the candidates best first, and who was excluded and why.

    Immutable. A tuple underneath, so that the matcher, which records one per routing call, builds it in a
    single allocation (`Decision.compact`); read it through its properties, never by position.
    """

    __slots__ = ()

    def __new__(
        cls,
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
    ) -> Decision:
        raw_c = tuple((c.agent_id, c.interaction_id, c.score) for c in candidates)
        raw_e = tuple((e.agent_id, e.interaction_id, e.reason, e.detail) for e in excluded)
        fields: _Fields = (
            at, trigger, queue, rule, chosen_agent, chosen_interaction, unavailable_not_listed,
            raw_c, (), raw_e, (), "",
        )  # fmt: skip
        return tuple.__new__(cls, fields)

    @staticmethod
    def compact(
        at: float,
        trigger: Trigger,
        queue: str,
        rule: str,
        chosen_agent: str | None,
        chosen_interaction: str | None,
        candidates: tuple[RawCandidate, ...],
        excluded: tuple[RawExclusion, ...],
        unavailable_not_listed: int = 0,
        heads: tuple[SharedHead, ...] = (),
        sample: tuple[SharedExclusion, ...] = (),
        sample_for: str = "",
    ) -> Decision:
        """`heads` (candidates of `chosen_agent`: the best first, then the runners-up in any order) and
        `sample` (exclusions of `sample_for`) follow `candidates` and `excluded`: tuples shared with the
        matcher's caches, ranked and expanded only when read."""
        fields: _Fields = (
            at, trigger, queue, rule, chosen_agent, chosen_interaction, unavailable_not_listed,
            candidates, heads, excluded, sample, sample_for,
        )  # fmt: skip
        return tuple.__new__(Decision, fields)

    @property
    def at(self) -> float:
        return self[0]

    @property
    def trigger(self) -> Trigger:
        return self[1]

    @property
    def queue(self) -> str:
        return self[2]

    @property
    def rule(self) -> str:
        """The strategy, "preferred_agent", "only_agent", or "agent_side" (priority, weight, age)."""
        return self[3]

    @property
    def chosen_agent(self) -> str | None:
        return self[4]

    @property
    def chosen_interaction(self) -> str | None:
        return self[5]

    @property
    def unavailable_not_listed(self) -> int:
        """Agents of the pool left out of `excluded` to bound the cost."""
        return self[6]

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        """Best first; the chosen one (if any) is the first."""
        return tuple(Candidate(*c) for c in self._candidates)

    @property
    def excluded(self) -> tuple[Exclusion, ...]:
        return tuple(Exclusion(*e) for e in self._excluded)

    @property
    def _candidates(self) -> tuple[RawCandidate, ...]:
        raw, heads = self[7], self[8]
        if not heads:
            return raw
        aid = self[4] or ""
        best, *rest = heads
        ranked = [best, *sorted(rest)[: CANDIDATES_KEPT - 1]]
        return raw + tuple([(aid, h[4], h[:4]) for h in ranked])

    @property
    def _excluded(self) -> tuple[RawExclusion, ...]:
        raw, sample = self[9], self[10]
        if not sample:
            return raw
        iid = self[11]
        return raw + tuple([(aid, iid, reason, detail) for aid, reason, detail in sample])

    def offer_summary(self) -> tuple[str, str, list[JSON], int]:
        """(rule, trigger, best score, candidate count), what an offer event says of its decision: read in one
        call, since an offer is made on nearly every routing call."""
        raw, heads = self[7], self[8]
        score: list[JSON] = list(raw[0][2]) if raw else list(heads[0][:4]) if heads else []
        return self[3], self[1].value, score, len(raw) + min(len(heads), CANDIDATES_KEPT)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in _FIELDS)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, f) for f in _FIELDS))

    def __reduce__(self) -> tuple[object, ...]:
        return _rebuild, (tuple(self),)  # copy and pickle: `__new__` takes keywords only

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


def _rebuild(fields: _Fields) -> Decision:
    return tuple.__new__(Decision, fields)


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


class Traced(Protocol):
    """What keeps its own trace: the core's working record of an interaction."""

    trace: Decision | list[Decision] | None


class TraceLog:
    """The last `per_interaction` decisions of each interaction, kept on the interaction itself so that they
    go when it is forgotten. One decision is kept bare: most interactions are decided once or twice."""

    def __init__(self, per_interaction: int = 32) -> None:
        self._per_interaction = per_interaction

    def record(self, traced: Traced, decision: Decision) -> None:
        kept = traced.trace
        if kept is None:
            if self._per_interaction > 0:
                traced.trace = decision
        elif isinstance(kept, list):
            kept.append(decision)
            if len(kept) > self._per_interaction:
                del kept[0]
        elif self._per_interaction > 1:
            traced.trace = [kept, decision]
        else:
            traced.trace = decision

    @staticmethod
    def of(traced: Traced | None) -> tuple[Decision, ...]:
        kept = None if traced is None else traced.trace
        if kept is None:
            return ()
        if isinstance(kept, list):
            return tuple(kept)
        return (kept,)
