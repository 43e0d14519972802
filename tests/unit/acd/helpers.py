"""Builders shared by the routing-core tests."""

from __future__ import annotations

import json
from collections.abc import Sequence

from gateway.acd import (
    AgentSpec,
    CapacityProfile,
    Channel,
    Event,
    EventType,
    NewInteraction,
    Presence,
    QueueMember,
    QueueSpec,
    Router,
    SkillRequirement,
)

__all__ = ["T0", "agent", "call", "chat", "make_router", "members", "offers", "queue", "skills", "types"]

T0 = 1_700_000_000.0  # Tuesday 2023-11-14 22:13:20 UTC


def skills(*pairs: tuple[str, int]) -> tuple[SkillRequirement, ...]:
    return tuple(SkillRequirement(s, lvl) for s, lvl in pairs)


def agent(agent_id: str, *levels: tuple[str, int], total: int = 4) -> AgentSpec:
    return AgentSpec(id=agent_id, name=agent_id.upper(), skills=levels, capacity=CapacityProfile(total=total))


def members(*ids: str) -> tuple[QueueMember, ...]:
    return tuple(QueueMember(i) for i in ids)


def queue(queue_id: str, **options: object) -> QueueSpec:
    return QueueSpec(id=queue_id, name=queue_id, **options)  # type: ignore[arg-type]


def call(iid: str, q: str = "support", **options: object) -> NewInteraction:
    return NewInteraction(id=iid, queue=q, channel=Channel.VOICE, **options)  # type: ignore[arg-type]


def chat(iid: str, q: str = "chat", **options: object) -> NewInteraction:
    return NewInteraction(id=iid, queue=q, channel=Channel.CHAT, **options)  # type: ignore[arg-type]


def make_router(
    queues: Sequence[QueueSpec], agents: Sequence[AgentSpec], *, available: Sequence[str] = (), at: float = T0
) -> Router:
    """A router whose `available` agents signed in one second apart, in that order (first = longest idle)."""
    router = Router(queues=queues, agents=agents)
    for n, agent_id in enumerate(available):
        router.set_presence(agent_id, Presence.available(), at + n)
    return router


def types(events: Sequence[Event]) -> list[EventType]:
    for ev in events:
        json.dumps(ev.to_dict())  # every event must be JSON-serialisable
    return [ev.type for ev in events]


def offers(events: Sequence[Event]) -> list[tuple[str | None, str | None]]:
    return [(ev.interaction_id, ev.agent_id) for ev in events if ev.type is EventType.OFFERED]
