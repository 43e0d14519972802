"""Errors raised by the routing core. A call that raises has changed nothing.

RoutingError
├── UnknownInteraction      (interaction_id)
├── DuplicateInteraction    (interaction_id)
├── UnknownAgent            (agent_id, interaction_id and field when an interaction names it)
├── UnknownQueue            (queue_id, interaction_id)
├── NotOffered              (interaction_id, agent_id): accept/reject by the wrong agent, or stale
├── InvalidTransition       (interaction_id, state): e.g. end() of a waiting interaction
├── AgentUnavailable        (interaction_id, agent_id, reason): a supervisor's offer the agent cannot take
└── EventsDropped           (after_seq, dropped_through): an in-memory store no longer holds those events
"""

from __future__ import annotations

__all__ = [
    "AgentUnavailable",
    "DuplicateInteraction",
    "EventsDropped",
    "InvalidTransition",
    "NotOffered",
    "RoutingError",
    "UnknownAgent",
    "UnknownInteraction",
    "UnknownQueue",
]


class RoutingError(Exception):
    """Base of every routing error; `interaction_id`/`agent_id` are set when they apply."""

    def __init__(
        self, message: str, *, interaction_id: str | None = None, agent_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.interaction_id = interaction_id
        self.agent_id = agent_id


class UnknownInteraction(RoutingError):
    def __init__(self, interaction_id: str) -> None:
        super().__init__(f"unknown interaction {interaction_id!r}", interaction_id=interaction_id)


class DuplicateInteraction(RoutingError):
    def __init__(self, interaction_id: str) -> None:
        super().__init__(f"interaction {interaction_id!r} already exists", interaction_id=interaction_id)


class UnknownAgent(RoutingError):
    def __init__(self, agent_id: str, *, interaction_id: str | None = None, field: str | None = None) -> None:
        message = f"unknown agent {agent_id!r}"
        if interaction_id is not None and field is not None:
            message = f"interaction {interaction_id!r}: {field}: {message}"
        super().__init__(message, interaction_id=interaction_id, agent_id=agent_id)
        self.field = field


class UnknownQueue(RoutingError):
    def __init__(self, queue_id: str, *, interaction_id: str | None = None) -> None:
        super().__init__(f"unknown queue {queue_id!r}", interaction_id=interaction_id)
        self.queue_id = queue_id


class NotOffered(RoutingError):
    def __init__(self, interaction_id: str, agent_id: str, state: str) -> None:
        super().__init__(
            f"interaction {interaction_id!r} is not offered to agent {agent_id!r} (state {state})",
            interaction_id=interaction_id,
            agent_id=agent_id,
        )
        self.state = state


class InvalidTransition(RoutingError):
    def __init__(self, interaction_id: str, state: str, action: str) -> None:
        super().__init__(
            f"cannot {action} interaction {interaction_id!r} in state {state}", interaction_id=interaction_id
        )
        self.state = state
        self.action = action


class AgentUnavailable(RoutingError):
    def __init__(self, interaction_id: str, agent_id: str, reason: str) -> None:
        super().__init__(
            f"agent {agent_id!r} cannot take interaction {interaction_id!r} now: {reason}",
            interaction_id=interaction_id,
            agent_id=agent_id,
        )
        self.reason = reason


class EventsDropped(RoutingError):
    """A bounded in-memory store was asked for events it has already let go (read the durable log)."""

    def __init__(self, after_seq: int, dropped_through: int) -> None:
        super().__init__(
            f"events after seq {after_seq} are no longer held in memory (dropped through seq "
            f"{dropped_through}); replay from the durable event log"
        )
        self.after_seq = after_seq
        self.dropped_through = dropped_through
