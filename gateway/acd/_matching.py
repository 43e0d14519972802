"""Matching: which agent gets an interaction, and which interaction a free agent gets, with the reasons.

Both directions use the same eligibility rules (`exclusion`, `unavailability`), so an offer made from
either side is one the other side would have allowed.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Collection, Iterable

from ._index import Eligible, Entry, Explained, Ranked, ScoredHead, WaitClass
from ._model import Agent, Interaction, PresenceKind
from ._state import RoutingState
from ._trace import CANDIDATES_KEPT, Decision, ExclusionReason, RawExclusion, SharedExclusion, Trigger
from .specs import Channel, QueueSpec, Strategy

__all__ = [
    "effective_priority",
    "eligible_classes",
    "exclusion",
    "pick_agent",
    "pick_interaction",
    "unavailability",
]

# how many unavailable agents a "nobody could take it" decision lists, so explaining stays cheap
UNAVAILABLE_SAMPLE = 5
# a little before a waiting head ages one more step, its memoised score is recomputed (see _rank_heads)
_AGING_MARGIN = 1e-3
Reason = tuple[ExclusionReason, str]

# enum members as module constants: reading `ExclusionReason.SKILL` costs ~0.2 us in Python 3.11
_SKILL, _LEVEL, _CAPACITY = ExclusionReason.SKILL, ExclusionReason.LEVEL, ExclusionReason.CAPACITY
_PRESENCE, _WRAP_UP_REASON = ExclusionReason.PRESENCE, ExclusionReason.WRAP_UP
_DECLINED, _NOT_MEMBER = ExclusionReason.DECLINED_BEFORE, ExclusionReason.NOT_MEMBER
_NOT_PREFERRED, _NOT_THE_AGENT = ExclusionReason.NOT_PREFERRED, ExclusionReason.NOT_THE_AGENT
_AVAILABLE, _WRAP_UP = PresenceKind.AVAILABLE, PresenceKind.WRAP_UP
_AGENT_FREE = Trigger.AGENT_FREE
_RULES = {s: str(s) for s in Strategy}
_NO_SAMPLE: tuple[SharedExclusion, ...] = ()
_decided = Decision.compact  # called positionally on every routing call


def effective_priority(priority: int, enqueue_time: float, now: float, aging_seconds: float | None) -> int:
    if not aging_seconds:
        return priority
    return priority + max(0, math.floor((now - enqueue_time) / aging_seconds))


def _member_exclusion(state: RoutingState, queues: tuple[str, ...], a: Agent) -> Reason | None:
    # a queue without a member list is open to every agent with the skills
    if all(state.members[q] for q in queues) and not any(q in a.members for q in queues):
        return _NOT_MEMBER, ",".join(queues)
    return None


def _skill_exclusion(skills: Iterable[tuple[str, int]], a: Agent) -> Reason | None:
    for skill, level in skills:
        have = a.levels.get(skill)
        if have is None:
            return _SKILL, skill
        if have < level:
            return _LEVEL, f"{skill} {have}<{level}"
    return None


def exclusion(state: RoutingState, i: Interaction, a: Agent) -> Reason | None:
    """Why `a` may never take `i` as things stand (presence and capacity aside), or None."""
    if i.sticky:
        if i.only_agent is not None:
            if a.id != i.only_agent:
                return _NOT_THE_AGENT, i.only_agent
        elif a.id != i.preferred_agent:
            return _NOT_PREFERRED, str(i.preferred_agent)
    elif i.widened:
        member = _member_exclusion(state, (i.queue, *i.widened), a)
        if member:
            return member
    elif state.members[i.queue] and i.queue not in a.members:  # the common case, without allocating
        return _NOT_MEMBER, i.queue
    skill = _skill_exclusion(i.skills, a)
    if skill:
        return skill
    if i.declined and a.id in i.declined:
        return _DECLINED, ""
    return None


def unavailability(a: Agent, channel: Channel) -> Reason | None:
    """Why `a` cannot take work of `channel` right now, or None."""
    presence = a.presence
    kind = presence.kind
    if kind is _AVAILABLE:
        if a.has_room_for(channel):
            return None
        return _CAPACITY, f"{a.used}/{a.total} units, {len(a.work)} items"
    if kind is _WRAP_UP:
        return _WRAP_UP_REASON, f"until {presence.until}"
    return _PRESENCE, presence.reason or str(kind)


# -- interaction side: which agent ------------------------------------------------------------------------


def _score(state: RoutingState, q: QueueSpec, i: Interaction, a: Agent) -> tuple[float, ...]:
    tiers = [a.members[x].priority for x in (i.queue, *i.widened) if x in a.members]
    tier = float(min(tiers, default=0))
    if q.strategy is Strategy.LEAST_OCCUPIED:
        return tier, a.used / a.spec.capacity.total, a.idle_since, a.order
    if q.strategy is Strategy.BEST_SKILL:
        return tier, -float(sum(a.levels.get(s, 0) for s, _ in i.skills)), a.idle_since, a.order
    if q.strategy is Strategy.ROUND_ROBIN:
        return tier, _rr_distance(state, q.id, a), a.order
    return tier, a.idle_since, a.order


def _rr_distance(state: RoutingState, queue: str, a: Agent) -> float:
    """Steps after the last agent offered from this queue, wrapping around the member (or agent) order."""
    positions = state.member_pos[queue]
    size = len(positions) if positions else len(state.agents)
    pos = positions.get(a.id) if positions else a.order
    if pos is None:  # reached through a widened queue: after every member
        return float(size + a.order)
    last = state.rr_last[queue]
    last_pos = -1
    if last is not None:
        last_pos = positions.get(last, -1) if positions else state.agents[last].order
    return float((pos - last_pos - 1) % size)


def _pool(state: RoutingState, i: Interaction) -> Collection[str]:
    if i.sticky:
        target = i.target
        return (target,) if target in state.agents else ()
    if i.skills:
        return state.available.with_skills(i.skills)
    queues = (i.queue, *i.widened)
    if all(state.members[q] for q in queues):
        return {m: None for q in queues for m in state.members[q] if m in state.available.everyone}
    return state.available.everyone


def _all_pool(state: RoutingState, i: Interaction) -> Collection[str]:
    if i.sticky:
        return ()
    queues = (i.queue, *i.widened)
    if all(state.members[q] for q in queues):
        return sorted({m for q in queues for m in state.members[q]})
    if i.skills:
        return state.agents_by_skill.get(i.skills[0][0], {}).keys()
    return state.agents.keys()


def pick_agent(state: RoutingState, i: Interaction, now: float, trigger: Trigger) -> Decision:
    q = state.queues[i.queue]
    pool = _pool(state, i)
    if not pool:  # the usual case in a busy center: nobody available has the skills
        not_listed, sample = _explain_unavailable(state, i, pool)
        rule = _RULES[q.strategy]
        return _decided(now, trigger, i.queue, rule, None, None, (), (), not_listed, (), sample, i.id)
    scored: list[tuple[tuple[float, ...], str]] = []
    excluded: list[RawExclusion] = []
    for aid in pool:
        a = state.agents[aid]
        why = exclusion(state, i, a) or unavailability(a, i.channel)
        if why:
            excluded.append((aid, i.id, why[0], why[1]))
        else:
            scored.append((_score(state, q, i, a), aid))
    scored.sort()
    rule = _RULES[q.strategy]
    if i.only_agent is not None:
        rule = "only_agent"
    elif i.prefer and any(aid == i.preferred_agent for _, aid in scored):
        rule = "preferred_agent"
        scored.sort(key=lambda s: s[1] != i.preferred_agent)
    not_listed, sample = 0, _NO_SAMPLE
    if i.only_agent is not None:
        not_listed, sample = _not_the_agent(state, i, i.only_agent)
    elif not scored:
        not_listed, sample = _explain_unavailable(state, i, pool)
    chosen = scored[0][1] if scored else None
    return _decided(
        now,
        trigger,
        i.queue,
        rule,
        chosen,
        None if chosen is None else i.id,
        tuple([(aid, i.id, score) for score, aid in scored[:CANDIDATES_KEPT]]),
        tuple(excluded),
        not_listed,
        (),
        sample,
        i.id,
    )


def _not_the_agent(state: RoutingState, i: Interaction, only: str) -> tuple[int, tuple[SharedExclusion, ...]]:
    """A few of the available agents left out because `i` may only go to `only`, and how many more were:
    read off the available pool, never a scan of every agent."""
    pool = state.available.with_skills(i.skills)
    others = (aid for aid in pool if aid != only)
    sample = tuple([(aid, _NOT_THE_AGENT, only) for aid in itertools.islice(others, UNAVAILABLE_SAMPLE)])
    return max(0, len(pool) - (only in pool) - len(sample)), sample


def _explain_unavailable(
    state: RoutingState, i: Interaction, examined: Collection[str]
) -> tuple[int, tuple[SharedExclusion, ...]]:
    """Why a few agents outside the available pool could not take it, and about how many of the pool were
    left out (the sample is bounded so a busy center does not pay a scan per arrival).

    The sample depends only on the interaction's class and on the agents scanned for it, so it is kept per
    class and reused while every scanned agent is unchanged (same `version`, same side of `examined`).
    """
    cls = None if i.declined or i.sticky else i.wait_class
    if cls is not None:
        hit = cls.explained
        if hit is not None and _still_valid(hit, examined):
            return max(0, hit[0] - len(examined) - len(hit[4])), hit[4]
    pool = _all_pool(state, i)
    scanned: list[Agent] = []
    sample: list[SharedExclusion] = []
    agents, channel = state.agents, i.channel
    for aid in pool:
        if len(sample) >= UNAVAILABLE_SAMPLE:
            break
        a = agents[aid]
        scanned.append(a)
        if aid in examined:
            continue
        why = exclusion(state, i, a) or unavailability(a, channel)
        if why:
            sample.append((aid, why[0], why[1]))
    shared = tuple(sample)
    if cls is not None:
        ids = tuple([a.id for a in scanned if a.id in examined])
        cls.explained = (len(pool), tuple(scanned), list(map(_version, scanned)), ids, shared)
    return max(0, len(pool) - len(examined) - len(shared)), shared


def _still_valid(hit: Explained, examined: Collection[str]) -> bool:
    _, scanned, versions, were_examined, _ = hit
    if list(map(_version, scanned)) != versions:
        return False
    if not examined:  # the usual case: nobody available at all
        return not were_examined
    return tuple([a.id for a in scanned if a.id in examined]) == were_examined


_version = operator.attrgetter("version")
_floor = math.floor


def _channel_of(eligible: Eligible) -> str:
    return eligible[0].channel


# -- agent side: which interaction ------------------------------------------------------------------------


def _class_exclusion(state: RoutingState, cls: WaitClass, a: Agent) -> Reason | None:
    """Why `a` may never serve `cls` (membership, sticky agent, skills): fixed for a class and an agent."""
    if cls.sticky_agent is None:
        member = _member_exclusion(state, (cls.queue, *cls.widened), a)
        if member:
            return member
    elif cls.sticky_agent != a.id:
        return _NOT_PREFERRED, cls.sticky_agent
    return _skill_exclusion(cls.skills, a)


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
    """The heads of `cls` when some were declined by someone: skip (and list) those `a` declined."""
    for priority, bucket in cls.buckets.items():
        enqueue_time, arrival, iid = bucket[0]
        if iid in state.declining:
            _score_declined(state, a, cls, priority, bucket, weight, aging, now, scored, excluded)
            continue
        eff = effective_priority(priority, enqueue_time, now, aging)
        scored.append((-float(eff), -weight, enqueue_time, float(arrival), iid, cls.queue))


def _score_declined(
    state: RoutingState,
    a: Agent,
    cls: WaitClass,
    priority: int,
    bucket: list[tuple[float, int, str]],
    weight: float,
    aging: float | None,
    now: float,
    scored: list[ScoredHead],
    excluded: list[RawExclusion],
) -> None:
    """The first interaction of a bucket that `a` did not decline, listing the declined ones before it."""
    aid, declining, interactions = a.id, state.declining, state.interactions
    for enqueue_time, arrival, iid in bucket:
        if iid in declining and aid in interactions[iid].declined:
            excluded.append((aid, iid, _DECLINED, ""))
            continue
        eff = effective_priority(priority, enqueue_time, now, aging)
        scored.append((-float(eff), -weight, enqueue_time, float(arrival), iid, cls.queue))
        return
