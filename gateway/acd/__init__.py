"""Helpline's routing core (ACD) for calls and chats: pure, synchronous, event-sourced.

Public API:

    router = Router(queues=[QueueSpec(...)], agents=[AgentSpec(...)], store=InMemoryStore())
    router.enqueue(NewInteraction(id=..., queue=..., channel=...), now) -> list[Event]
    router.set_presence(agent_id, Presence.available() | Presence.not_ready(r) | Presence.offline(), now)
    router.accept(interaction_id, agent_id, now) / router.reject(interaction_id, agent_id, now)
    router.end(interaction_id, now, reason="completed") / router.abandon(interaction_id, now)
    router.move(interaction_id, queue_id, now, by=supervisor)       # supervisor: to another queue
    router.offer_to(interaction_id, agent_id, now, by=supervisor)   # supervisor: to a named agent
    router.set_presence(agent_id, presence, now, by=supervisor)     # supervisor: any agent, audited
    router.tick(now)                    # timers: offer timeouts, wrap-up ends, relaxation, max wait
    router.next_deadline() -> float | None
    router.interaction(id) / router.agent(id) / router.queue_snapshot(id) / router.trace(id)
    router.briefs(ids) / router.agent_work(id)   # light reads of work for a wallboard (`WorkBrief`)
    router.snapshot() -> dict           # canonical state, equal after Router.replay(queues, agents, events)

The core does no I/O and never awaits: `gateway.acd_server` runs it on the event loop and wires it
to the world.
"""

from __future__ import annotations

from ._model import (
    AgentView,
    AttributeValue,
    CustomerContext,
    InteractionState,
    InteractionView,
    NewInteraction,
    Presence,
    PresenceKind,
    QueueSnapshot,
    WorkBrief,
)
from ._router import Router
from ._store import InMemoryStore, StateStore
from ._trace import Candidate, Decision, Exclusion, ExclusionReason, Trigger
from .errors import (
    AgentUnavailable,
    DuplicateInteraction,
    EventsDropped,
    InvalidTransition,
    NotOffered,
    RoutingError,
    UnknownAgent,
    UnknownInteraction,
    UnknownQueue,
)
from .events import JSON, Event, EventType, IvrStep, IvrStepKind, SupervisorAction
from .specs import (
    AgentSpec,
    BusinessHours,
    CapacityProfile,
    Channel,
    ExitAction,
    ExitKind,
    OpeningWindow,
    QueueMember,
    QueueSpec,
    RelaxationKind,
    RelaxationStep,
    SkillRequirement,
    Strategy,
)

__all__ = [
    "JSON",
    "AgentSpec",
    "AgentUnavailable",
    "AgentView",
    "AttributeValue",
    "BusinessHours",
    "Candidate",
    "CapacityProfile",
    "Channel",
    "CustomerContext",
    "Decision",
    "DuplicateInteraction",
    "Event",
    "EventType",
    "EventsDropped",
    "Exclusion",
    "ExclusionReason",
    "ExitAction",
    "ExitKind",
    "InMemoryStore",
    "InteractionState",
    "InteractionView",
    "InvalidTransition",
    "IvrStep",
    "IvrStepKind",
    "NewInteraction",
    "NotOffered",
    "OpeningWindow",
    "Presence",
    "PresenceKind",
    "QueueMember",
    "QueueSnapshot",
    "QueueSpec",
    "RelaxationKind",
    "RelaxationStep",
    "Router",
    "RoutingError",
    "SkillRequirement",
    "StateStore",
    "Strategy",
    "SupervisorAction",
    "Trigger",
    "UnknownAgent",
    "UnknownInteraction",
    "UnknownQueue",
    "WorkBrief",
]
