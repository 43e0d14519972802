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
from .specs import Channel

__all__ = ["AvailableIndex", "Eligible", "Entry", "WaitClass", "WaitingIndex"]

Entry = tuple[float, int, str]  # (enqueue_time, arrival, interaction id)
ClassKey = tuple[str, Channel, Requirements, str | None, tuple[str, ...]]


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


Eligible = tuple[WaitClass, float, float | None]  # a class an agent may serve, its weight, the aging step


def entry_of(i: Interaction) -> Entry:
    return (i.enqueue_time, i.arrival, i.id)


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
        key = self._key(i)
        cls = self._classes.get(key)
        if cls is None:
            cls = WaitClass(key, i.queue, i.channel, i.skills, key[3], i.widened)
            self._classes[key] = cls
            self.version += 1
            for home in self._homes(cls):
                home[key] = cls
        bisect.insort(cls.buckets.setdefault(i.priority, []), entry_of(i))
        cls.size += 1
        self._count[i.queue] += 1

    def remove(self, i: Interaction) -> None:
        key = self._key(i)
        cls = self._classes[key]
        bucket = cls.buckets[i.priority]
        entry = entry_of(i)
        pos = bisect.bisect_left(bucket, entry)
        if pos == len(bucket) or bucket[pos] != entry:
            raise KeyError(f"interaction {i.id!r} is not indexed as waiting")
        del bucket[pos]
        if not bucket:
            del cls.buckets[i.priority]
        cls.size -= 1
        self._count[i.queue] -= 1
        if not cls.size:
            del self._classes[key]
            self.version += 1
            for home in self._homes(cls):
                del home[key]

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

    def _key(self, i: Interaction) -> ClassKey:
        return (i.queue, i.channel, i.skills, i.preferred_agent if i.sticky else None, i.widened)

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
    """Agents that could take some work now, per skill; dicts used as insertion-ordered sets."""

    def __init__(self) -> None:
        self.everyone: dict[str, None] = {}
        self.by_skill: dict[str, dict[str, None]] = {}

    def update(self, agent: Agent) -> None:
        if agent.is_available():
            if agent.id not in self.everyone:
                self.everyone[agent.id] = None
                for skill in agent.levels:
                    self.by_skill.setdefault(skill, {})[agent.id] = None
        elif agent.id in self.everyone:
            del self.everyone[agent.id]
            for skill in agent.levels:
                del self.by_skill[skill][agent.id]

    def with_skills(self, skills: Requirements) -> Mapping[str, None]:
        """The smallest pool that contains every available agent having all `skills`."""
        if not skills:
            return self.everyone
        return min((self.by_skill.get(s, {}) for s, _ in skills), key=len)
