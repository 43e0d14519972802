"""Matching from the agent's side: which waiting interaction an agent that frees capacity is offered.

It reads the waiting index by class (see `_index`) and keeps each class's scored heads between routing calls,
so a freed agent compares a few heads instead of scanning the queue. Eligibility follows the same rules as
the interaction side (`_matching`).
"""

from __future__ import annotations

import math

from ._index import Eligible, Entry, Ranked, ScoredHead, WaitClass
from ._matching import Reason, effective_priority, member_exclusion, skill_exclusion
from ._model import Agent
from ._state import RoutingState
from ._trace import CANDIDATES_KEPT, Decision, ExclusionReason, RawExclusion, Trigger

__all__ = ["eligible_classes", "pick_interaction"]

# a little before a waiting head ages one more step, its memoised score is recomputed (see _rank_heads)
_AGING_MARGIN = 1e-3
# enum members as module constants: reading one off its class costs ~0.2 us in Python 3.11
_DECLINED, _NOT_PREFERRED = ExclusionReason.DECLINED_BEFORE, ExclusionReason.NOT_PREFERRED
_AGENT_FREE = Trigger.AGENT_FREE
_decided = Decision.compact  # called positionally on every routing call
_floor = math.floor


def _channel_of(eligible: Eligible) -> str:
    return eligible[0].channel


def _class_exclusion(state: RoutingState, cls: WaitClass, a: Agent) -> Reason | None:
    """Why `a` may never serve `cls` (membership, sticky agent, skills): fixed for a class and an agent."""
    if cls.sticky_agent is None:
        member = member_exclusion(state, (cls.queue, *cls.widened), a)
        if member:
            return member
    elif cls.sticky_agent != a.id:
        return _NOT_PREFERRED, cls.sticky_agent
    return skill_exclusion(cls.skills, a)


def eligible_classes(state: RoutingState, a: Agent) -> list[Eligible]:
    """The waiting classes `a` may serve, with its membership weight and the queue's aging step.

    Eligibility depends only on the agent's spec and the class, so the list is kept per agent until a class
    appears or disappears (`WaitingIndex.version`); a routing call then reads it instead of re-deriving it.
    """
    version = state.waiting.version
    cached = state.eligible.get(a.id)
    if cached is not None and cached[0] == version:
        return cached[1]
    found: list[Eligible] = []
    for cls in state.waiting.classes_for(a):
        if _class_exclusion(state, cls, a) is None:
            q = state.queues[cls.queue]
            member = a.members.get(q.id)
            found.append((cls, float(member.weight if member else 1), q.priority_aging_seconds))
    found.sort(key=_channel_of)  # a routing call then checks the agent's room once per channel
    state.eligible[a.id] = (version, found)
    return found


def pick_interaction(state: RoutingState, a: Agent, now: float) -> Decision | None:
    """The waiting interaction `a` should be offered: highest effective priority, then the heaviest queue
    membership weight, then the oldest enqueue time (FIFO)."""
    declining = state.declining
    scored: list[ScoredHead] = []
    excluded: list[RawExclusion] = []
    channel, fits = None, False
    for cls, weight, aging in eligible_classes(state, a):  # grouped by channel
        if cls.channel is not channel:
            channel = cls.channel
            fits = a.has_room_for(channel)
        if not fits:
            continue  # a whole class the agent cannot serve is not worth a trace line per interaction
        memo = cls.ranked
        if memo is None or not memo[0] <= now < memo[1] or memo[2] != weight:
            memo = cls.ranked = _rank_heads(cls, weight, aging, now)
        elif cls.stale is not None:
            memo = cls.ranked = _rank_stale_head(cls, memo, aging, now)
        heads = memo[3].values()
        if declining and not declining.isdisjoint([h[4] for h in heads]):
            _score_declining(state, a, cls, weight, aging, now, scored, excluded)
        else:
            scored += heads
    if not scored:
        return None
    # scores are unique (arrival breaks ties), so comparing flat heads compares scores; the trace keeps
    # the best first and sorts the runners-up only when it is read
    best = min(scored)
    at = scored.index(best)
    scored[0], scored[at] = best, scored[0]
    if len(scored) > 2 * CANDIDATES_KEPT:  # keep what a trace holds bounded
        scored[1:] = sorted(scored[1:])[: CANDIDATES_KEPT - 1]
    chosen, queue = best[4], best[5]
    return _decided(
        now, _AGENT_FREE, queue, "agent_side", a.id, chosen, (), tuple(excluded), 0, tuple(scored)
    )


def _rank_heads(cls: WaitClass, weight: float, aging: float | None, now: float) -> Ranked:
    """The scored head of each bucket of `cls` at `now`, and until when these scores hold: a head's effective
    priority changes only when it leaves its bucket or ages one more step."""
    cls.stale = None
    heads: dict[int, ScoredHead] = {}
    until = math.inf
    for priority, bucket in cls.buckets.items():
        heads[priority], due = _scored_head(cls.queue, priority, bucket[0], weight, aging, now)
        if due < until:
            until = due
    return now, until, weight, heads


def _rank_stale_head(cls: WaitClass, memo: Ranked, aging: float | None, now: float) -> Ranked:
    """`memo` with the head of its one changed bucket scored again (the others keep their scores)."""
    priority, cls.stale = cls.stale, None
    assert priority is not None
    since, until, weight, heads = memo
    heads[priority], due = _scored_head(cls.queue, priority, cls.buckets[priority][0], weight, aging, now)
    return memo if due >= until else (since, due, weight, heads)


def _scored_head(
    queue: str, priority: int, entry: Entry, weight: float, aging: float | None, now: float
) -> tuple[ScoredHead, float]:
    """The score of a bucket's head at `now`, and until when it holds."""
    eff, due = priority, math.inf
    if aging:
        steps = _floor((now - entry[0]) / aging)
        if steps > 0:
            eff += steps
        else:
            steps = 0
        # recomputed a little early rather than a rounding error late
        due = entry[0] + (steps + 1) * aging - _AGING_MARGIN
    return (-float(eff), -weight, entry[0], float(entry[1]), entry[2], queue), due


def _score_declining(
    state: RoutingState,
    a: Agent,
    cls: WaitClass,
    weight: float,
    aging: float | None,
    now: float,
    scored: list[ScoredHead],
    excluded: list[RawExclusion],
) -> None:
    """The heads of `cls` when some were declined by someone: in each bucket, the first interaction `a` did
    not decline, listing the declined ones before it."""
    aid, declining, interactions = a.id, state.declining, state.interactions
    for priority, bucket in cls.buckets.items():
        for enqueue_time, arrival, iid in bucket:
            if iid in declining and aid in interactions[iid].declined:
                excluded.append((aid, iid, _DECLINED, ""))
                continue
            eff = effective_priority(priority, enqueue_time, now, aging)
            scored.append((-float(eff), -weight, enqueue_time, float(arrival), iid, cls.queue))
            break
