"""Matching: the eligibility rules, and which agent gets an interaction (its side), with the reasons.

Both directions (this side and `_agent_side`, which interaction a freed agent gets) use the same rules
(`exclusion`, `unavailability`), so an offer made from either side is one the other side would have allowed.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Collection, Iterable

from ._index import Explained
from ._model import Agent, Interaction, PresenceKind
from ._state import RoutingState
from ._trace import CANDIDATES_KEPT, Decision, ExclusionReason, RawExclusion, SharedExclusion, Trigger
from .specs import Channel, QueueSpec, Strategy

__all__ = [
    "Reason",
    "effective_priority",
    "exclusion",
    "member_exclusion",
    "pick_agent",
    "skill_exclusion",
    "unavailability",
]

# how many unavailable agents a "nobody could take it" decision lists, so explaining stays cheap
UNAVAILABLE_SAMPLE = 5
Reason = tuple[ExclusionReason, str]

# enum members as module constants: reading `ExclusionReason.SKILL` costs ~0.2 us in Python 3.11
_SKILL, _LEVEL, _CAPACITY = ExclusionReason.SKILL, ExclusionReason.LEVEL, ExclusionReason.CAPACITY
_PRESENCE, _WRAP_UP_REASON = ExclusionReason.PRESENCE, ExclusionReason.WRAP_UP
_DECLINED, _NOT_MEMBER = ExclusionReason.DECLINED_BEFORE, ExclusionReason.NOT_MEMBER
_NOT_PREFERRED, _NOT_THE_AGENT = ExclusionReason.NOT_PREFERRED, ExclusionReason.NOT_THE_AGENT
_AVAILABLE, _WRAP_UP = PresenceKind.AVAILABLE, PresenceKind.WRAP_UP
_RULES = {s: str(s) for s in Strategy}
_NO_SAMPLE: tuple[SharedExclusion, ...] = ()
_decided = Decision.compact  # called positionally on every routing call


def effective_priority(priority: int, enqueue_time: float, now: float, aging_seconds: float | None) -> int:
    if not aging_seconds:
        return priority
    return priority + max(0, math.floor((now - enqueue_time) / aging_seconds))


def member_exclusion(state: RoutingState, queues: tuple[str, ...], a: Agent) -> Reason | None:
    # a queue without a member list is open to every agent with the skills
    if all(state.members[q] for q in queues) and not any(q in a.members for q in queues):
        return _NOT_MEMBER, ",".join(queues)
    return None


def skill_exclusion(skills: Iterable[tuple[str, int]], a: Agent) -> Reason | None:
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
        member = member_exclusion(state, (i.queue, *i.widened), a)
        if member:
            return member
    elif state.members[i.queue] and i.queue not in a.members:  # the common case, without allocating
        return _NOT_MEMBER, i.queue
    skill = skill_exclusion(i.skills, a)
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
