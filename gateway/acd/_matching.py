"""Matching: which agent gets an interaction, and which interaction a free agent gets, with the reasons.

Both directions use the same eligibility rules (`exclusion`, `unavailability`), so an offer made from
either side is one the other side would have allowed.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable

from ._index import Eligible, WaitClass
from ._model import Agent, Interaction, PresenceKind
from ._state import RoutingState
from ._trace import Decision, ExclusionReason, RawExclusion, Trigger
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
# how many runner-up candidates a decision keeps (the chosen one is always first)
CANDIDATES_KEPT = 8
Reason = tuple[ExclusionReason, str]


def effective_priority(priority: int, enqueue_time: float, now: float, aging_seconds: float | None) -> int:
    if not aging_seconds:
        return priority
    return priority + max(0, math.floor((now - enqueue_time) / aging_seconds))


def _member_exclusion(state: RoutingState, queues: tuple[str, ...], a: Agent) -> Reason | None:
    # a queue without a member list is open to every agent with the skills
    if all(state.members[q] for q in queues) and not any(q in a.members for q in queues):
        return ExclusionReason.NOT_MEMBER, ",".join(queues)
    return None


def _skill_exclusion(skills: Iterable[tuple[str, int]], a: Agent) -> Reason | None:
    for skill, level in skills:
        have = a.levels.get(skill)
        if have is None:
            return ExclusionReason.SKILL, skill
        if have < level:
            return ExclusionReason.LEVEL, f"{skill} {have}<{level}"
    return None


def exclusion(state: RoutingState, i: Interaction, a: Agent) -> Reason | None:
    """Why `a` may never take `i` as things stand (presence and capacity aside), or None."""
    if i.sticky:
        if a.id != i.preferred_agent:
            return ExclusionReason.NOT_PREFERRED, str(i.preferred_agent)
    elif i.widened:
        member = _member_exclusion(state, (i.queue, *i.widened), a)
        if member:
            return member
    elif state.members[i.queue] and i.queue not in a.members:  # the common case, without allocating
        return ExclusionReason.NOT_MEMBER, i.queue
    skill = _skill_exclusion(i.skills, a)
    if skill:
        return skill
    if a.id in i.declined:
        return ExclusionReason.DECLINED_BEFORE, ""
    return None


def unavailability(a: Agent, channel: Channel) -> Reason | None:
    """Why `a` cannot take work of `channel` right now, or None."""
    kind = a.presence.kind
    if kind is PresenceKind.WRAP_UP:
        return ExclusionReason.WRAP_UP, f"until {a.presence.until}"
    if kind is not PresenceKind.AVAILABLE:
        return ExclusionReason.PRESENCE, a.presence.reason or str(kind)
    if not a.has_room_for(channel):
        return ExclusionReason.CAPACITY, f"{a.used}/{a.spec.capacity.total} units, {len(a.work)} items"
    return None


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
    if i.sticky and i.preferred_agent is not None:
        return (i.preferred_agent,) if i.preferred_agent in state.agents else ()
    queues = (i.queue, *i.widened)
    if not i.skills and all(state.members[q] for q in queues):
        return {m: None for q in queues for m in state.members[q] if m in state.available.everyone}
    return state.available.with_skills(i.skills)


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
    scored: list[tuple[tuple[float, ...], str]] = []
    excluded: list[RawExclusion] = []
    pool = _pool(state, i)
    for aid in pool:
        a = state.agents[aid]
        why = exclusion(state, i, a) or unavailability(a, i.channel)
        if why:
            excluded.append((aid, i.id, why[0], why[1]))
        else:
            scored.append((_score(state, q, i, a), aid))
    scored.sort()
    rule = str(q.strategy)
    if i.prefer and any(aid == i.preferred_agent for _, aid in scored):
        rule = "preferred_agent"
        scored.sort(key=lambda s: s[1] != i.preferred_agent)
    not_listed = 0
    if not scored:
        not_listed = _explain_unavailable(state, i, pool, excluded)
    chosen = scored[0][1] if scored else None
    return Decision.compact(
        now,
        trigger,
        i.queue,
        rule,
        chosen,
        None if chosen is None else i.id,
        tuple([(aid, i.id, score) for score, aid in scored[:CANDIDATES_KEPT]]),
        tuple(excluded),
        not_listed,
    )


def _explain_unavailable(
    state: RoutingState, i: Interaction, examined: Collection[str], excluded: list[RawExclusion]
) -> int:
    """List why a few agents outside the available pool could not take it; return about how many of the
    pool were left out (the sample is bounded so a busy center does not pay a scan per arrival)."""
    pool = _all_pool(state, i)
    listed = 0
    for aid in pool:
        if listed >= UNAVAILABLE_SAMPLE:
            break
        if aid in examined:
            continue
        a = state.agents[aid]
        why = exclusion(state, i, a) or unavailability(a, i.channel)
        if why:
            excluded.append((aid, i.id, why[0], why[1]))
            listed += 1
    return max(0, len(pool) - len(examined) - listed)


# -- agent side: which interaction ------------------------------------------------------------------------


def _class_exclusion(state: RoutingState, cls: WaitClass, a: Agent) -> Reason | None:
    """Why `a` may never serve `cls` (membership, sticky agent, skills): fixed for a class and an agent."""
    if cls.sticky_agent is None:
        member = _member_exclusion(state, (cls.queue, *cls.widened), a)
        if member:
            return member
    elif cls.sticky_agent != a.id:
        return ExclusionReason.NOT_PREFERRED, cls.sticky_agent
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
    state.eligible[a.id] = (version, found)
    return found


def pick_interaction(state: RoutingState, a: Agent, now: float) -> Decision | None:
    """The waiting interaction `a` should be offered: highest effective priority, then the heaviest queue
    membership weight, then the oldest enqueue time (FIFO)."""
    aid, declining, interactions = a.id, state.declining, state.interactions
    scored: list[tuple[tuple[float, ...], str, str]] = []
    excluded: list[RawExclusion] = []
    room: dict[Channel, bool] = {}
    for cls, weight, aging in eligible_classes(state, a):
        fits = room.get(cls.channel)
        if fits is None:
            fits = room[cls.channel] = a.has_room_for(cls.channel)
        if not fits:
            continue  # a whole class the agent cannot serve is not worth a trace line per interaction
        for priority, bucket in cls.buckets.items():
            for enqueue_time, arrival, iid in bucket:
                if iid in declining and aid in interactions[iid].declined:
                    excluded.append((aid, iid, ExclusionReason.DECLINED_BEFORE, ""))
                    continue
                # effective_priority, inlined: this loop runs for every head of every class an agent may serve
                eff = priority + max(0, math.floor((now - enqueue_time) / aging)) if aging else priority
                scored.append(((-float(eff), -weight, enqueue_time, float(arrival)), iid, cls.queue))
                break
    if not scored:
        return None
    scored.sort()
    _, chosen, queue = scored[0]
    return Decision.compact(
        now,
        Trigger.AGENT_FREE,
        queue,
        "agent_side",
        aid,
        chosen,
        tuple([(aid, iid, score) for score, iid, _ in scored[:CANDIDATES_KEPT]]),
        tuple(excluded),
    )
