"""Indexes that keep a routing decision from scanning every agent or every waiting interaction.

Waiting interactions are grouped into classes (queue, channel, requirements, sticky agent, widened
queues); inside a class, one list per base priority sorted by (enqueue_time, arrival). With priority
aging the effective priority of an item is `priority + floor(age / step)`, monotone in age within one
base priority, so the head of each list is the best of that list and FIFO among equal effective
priority is preserved.
A class is filed where an agent that may serve it will look: under the sticky agent, under the member
queues it may use, or under one of its skills when any skilled agent may serve it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from ._model import Agent, Interaction, Requirements
from ._trace import ExclusionReason
from .specs import Channel

__all__ = [
    "AvailableIndex",
    "Eligible",
    "Entry",
    "Explained",
    "Ranked",
    "ScoredHead",
    "WaitClass",
    "WaitingIndex",
]

Entry = tuple[float, int, str]  # (enqueue_time, arrival, interaction id)
ClassKey = tuple[str, Channel, Requirements, str | None, tuple[str, ...]]
# (-effective priority, -weight, enqueue time, arrival, interaction id, queue), as ranked for an agent: flat,
# so that comparing two heads compares their scores without a nested tuple per comparison
ScoredHead = tuple[float, float, float, float, str, str]
Ranked = tuple[float, float, float, dict[int, ScoredHead]]
# why agents outside the available pool cannot take a class (see _matching): the size of the pool, the agents
# scanned, their versions then, those of them that were in the available pool, and the (agent, reason,
# detail) sample of those that could not take it
Explained = tuple[
    int, tuple[Agent, ...], list[int], tuple[str, ...], tuple[tuple[str, ExclusionReason, str], ...]
]


@dataclass(slots=True, eq=False)
class WaitClass:
    key: ClassKey
    queue: str
    channel: Channel
    skills: Requirements
    sticky_agent: str | None
    widened: tuple[str, ...]
    buckets: dict[int, list[Entry]] = field(default_factory=dict)
    size: int = 0
    # agent-side memo of the scored head of each bucket: (valid from, valid until, weight, base priority ->
    # head). Heads keep their scores until one leaves or ages a step, so the agents freed meanwhile share it.
    ranked: Ranked | None = None
    # the base priority whose head changed since `ranked` was scored: only that one is scored again (a second
    # changed head, or a bucket that comes or goes, drops `ranked` instead)
    stale: int | None = None
    # interaction side: why agents outside the available pool could not take it, kept while they are unchanged
    explained: Explained | None = None

    def head_changed(self, priority: int) -> None:
        if self.ranked is not None and self.stale is not None and self.stale != priority:
            self.ranked = None
        else:
            self.stale = priority


Eligible = tuple[WaitClass, float, float | None]  # a class an agent may serve, its weight, the aging step


class WaitingIndex:
    def __init__(self, members: Mapping[str, frozenset[str]]) -> None:
        self._members = members  # queue id -> member agent ids; empty means "any skilled agent"
        self._classes: dict[ClassKey, WaitClass] = {}
        self._by_queue: dict[str, dict[ClassKey, WaitClass]] = {q: {} for q in members}
        self._by_agent: dict[str, dict[ClassKey, WaitClass]] = {}
        self._by_member_queue: dict[str, dict[ClassKey, WaitClass]] = {}
        self._by_skill: dict[str, dict[ClassKey, WaitClass]] = {}
        self._open: dict[ClassKey, WaitClass] = {}
        self._count: dict[str, int] = dict.fromkeys(members, 0)
        self.version = 0  # bumped whenever a class appears or disappears

    def add(self, i: Interaction) -> None:
        key = (i.queue, i.channel, i.skills, i.target if i.sticky else None, i.widened)
        cls = self._classes.get(key)
        if cls is None:
            cls = WaitClass(key, i.queue, i.channel, i.skills, key[3], i.widened)
            self._classes[key] = cls
            self.version += 1
            for home in self._homes(cls):
                home[key] = cls
        entry = (i.enqueue_time, i.arrival, i.id)
        bucket = cls.buckets.get(i.priority)
        if bucket is None:
            cls.buckets[i.priority] = [entry]
            cls.ranked = None
        elif entry > bucket[-1]:
            bucket.append(entry)  # the usual case: a new arrival is the youngest
        else:
            if entry < bucket[0]:
                cls.head_changed(i.priority)
            bisect.insort(bucket, entry)
        cls.size += 1
        self._count[i.queue] += 1
        i.wait_class = cls

    def remove(self, i: Interaction) -> None:
        cls = i.wait_class
        if cls is None:
            raise KeyError(f"interaction {i.id!r} is not indexed as waiting")
        bucket = cls.buckets[i.priority]
        if bucket[0][2] == i.id:  # mostly the head leaves (ids are unique in the index)
            del bucket[0]
            cls.head_changed(i.priority)
        else:
            entry = (i.enqueue_time, i.arrival, i.id)
            pos = bisect.bisect_left(bucket, entry)
            if pos == len(bucket) or bucket[pos] != entry:
                raise KeyError(f"interaction {i.id!r} is not indexed as waiting")
            del bucket[pos]
        i.wait_class = None
        if not bucket:
            del cls.buckets[i.priority]
            cls.ranked = None
        cls.size -= 1
        self._count[i.queue] -= 1
        if not cls.size:
            del self._classes[cls.key]
            self.version += 1
            for home in self._homes(cls):
                del home[cls.key]

    def classes_for(self, agent: Agent) -> Iterator[WaitClass]:
        """Every class the agent might serve (the caller still checks levels and declines)."""
        seen: set[ClassKey] = set()
        groups = [self._by_agent.get(agent.id), self._open]
        groups += [self._by_member_queue.get(q) for q in agent.members]
        groups += [self._by_skill.get(s) for s in agent.levels]
        for group in groups:
            for key, cls in (group or {}).items():
                if key not in seen:
                    seen.add(key)
                    yield cls

    def count(self, queue: str) -> int:
        return self._count[queue]

    def oldest(self, queue: str) -> float | None:
        heads = [b[0][0] for c in self._by_queue[queue].values() for b in c.buckets.values()]
        return min(heads, default=None)

    def ordered(self, queue: str) -> list[str]:
        """Waiting ids of a queue by (enqueue time, arrival): canonical, for snapshots."""
        entries = [e for c in self._by_queue[queue].values() for b in c.buckets.values() for e in b]
        return [e[2] for e in sorted(entries)]

    def _homes(self, cls: WaitClass) -> list[dict[ClassKey, WaitClass]]:
        homes = [self._by_queue[cls.queue]]
        if cls.sticky_agent is not None:
            return [*homes, self._by_agent.setdefault(cls.sticky_agent, {})]
        queues = (cls.queue, *cls.widened)
        if all(self._members[q] for q in queues):
            return homes + [self._by_member_queue.setdefault(q, {}) for q in queues]
        if cls.skills:
            # any agent serving it has every required skill, so filing under one of them is enough
            return [*homes, self._by_skill.setdefault(cls.skills[0][0], {})]
        return [*homes, self._open]


class AvailableIndex:
    """Agents that could take some work now, per skill; dicts used as insertion-ordered sets.

    Updates are noted and applied on the next read: an agent freed and offered new work in the same call
    (the common case) then costs nothing here.
    """

    def __init__(self) -> None:
        self._everyone: dict[str, None] = {}
        self._by_skill: dict[str, dict[str, None]] = {}
        self._pending: list[Agent] = []

    def update(self, agent: Agent) -> None:
        pending = self._pending
        if pending and pending[-1] is agent:  # freed then offered work in the same call: noted once
            return
        pending.append(agent)
        if len(pending) >= _PENDING_MAX:  # a long replay reads nothing: keep the backlog bounded
            self._flush()

    @property
    def everyone(self) -> dict[str, None]:
        if self._pending:
            self._flush()
        return self._everyone

    def with_skills(self, skills: Requirements) -> Mapping[str, None]:
        """The smallest pool that contains every available agent having all `skills`."""
        if self._pending:
            self._flush()
        if not skills:
            return self._everyone
        if len(skills) == 1:
            return self._by_skill.get(skills[0][0], _EMPTY)
        return min((self._by_skill.get(s, _EMPTY) for s, _ in skills), key=len)

    def _flush(self) -> None:
        everyone, by_skill = self._everyone, self._by_skill
        for agent in self._pending:
            aid = agent.id
            if agent.is_available():
                if aid not in everyone:
                    everyone[aid] = None
                    for skill in agent.levels:
                        pool = by_skill.get(skill)
                        if pool is None:
                            by_skill[skill] = {aid: None}
                        else:
                            pool[aid] = None
            elif aid in everyone:
                del everyone[aid]
                for skill in agent.levels:
                    del by_skill[skill][aid]
        self._pending.clear()


_EMPTY: Mapping[str, None] = {}
_PENDING_MAX = 256
