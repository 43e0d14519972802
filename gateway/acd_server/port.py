"""The routing port: how voice, chat and REST hand work to the routing core and follow it, in the core's own
terms, and the CRM desk the routing server itself relies on.

Higher floors depend on `RoutingPort`, never on `AcdServer` or its `Router`: they enqueue a `NewInteraction`
(with the customer context they found, if any), answer offers, end or abandon work, and read views.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from gateway.acd import (
    AgentView,
    Channel,
    CustomerContext,
    Decision,
    Event,
    InteractionView,
    IvrStep,
    NewInteraction,
    Presence,
    SupervisorAction,
)

__all__ = [
    "CustomerDesk",
    "EventListener",
    "EventWatcher",
    "RoutingPort",
    "WaitEstimate",
    "WorkCompleter",
    "WorkDone",
]

EventListener = Callable[[Sequence[Event]], Awaitable[None]]
EventWatcher = Callable[[Sequence[Event]], None]  # sees a batch as it is published; returns at once


@dataclass(frozen=True, slots=True)
class WaitEstimate:
    """Where a waiting interaction stands: 1 = next, and about how many seconds are left."""

    position: int
    seconds: float


@dataclass(frozen=True, slots=True)
class WorkDone:
    """What the agent's side says about work that ended, for the activity on the customer's case."""

    disposition: str | None = None
    notes: str | None = None
    hold_seconds: float = 0.0
    wrap_up_seconds: float = 0.0
    recording_url: str | None = None
    transcript_url: str | None = None  # a chat's transcript
    transcript: str | None = None  # and its text


WorkCompleter = Callable[[str, WorkDone], Awaitable[WorkDone]]
"""Given an interaction id being ended and what was said about it, what its channel adds (a transcript)."""


class RoutingPort(Protocol):
    async def enqueue(self, new: NewInteraction) -> InteractionView:
        """Identify the customer unless `new.customer` says who it is (a context the CRM did not answer in
        time is asked again, unless it was asked for this same interaction), apply their entitlement, queue
        it. Raises the core's RoutingError (unknown queue, duplicate, ...)."""
        ...

    async def accept(self, interaction_id: str, agent_id: str) -> None: ...

    async def reject(self, interaction_id: str, agent_id: str) -> None: ...

    async def abandon(self, interaction_id: str) -> None:
        """The customer left while waiting or ringing."""
        ...

    async def drop(self, interaction_id: str, reason: str) -> None:
        """Waiting or ringing work its customer did not leave is let go (their call was lost with its media
        worker): it exits as a `disconnect` with `reason`, not counted as an abandon."""
        ...

    async def end(self, interaction_id: str, reason: str, done: WorkDone = ...) -> InteractionView: ...

    async def set_presence(self, agent_id: str, presence: Presence, *, by: str | None = None) -> AgentView:
        """The agent's own change, or a supervisor's (`by`: their user id), which is audited in the log."""
        ...

    async def move(self, interaction_id: str, queue_id: str, *, by: str) -> InteractionView:
        """A supervisor moves waiting or ringing work to another queue (audited). Raises RoutingError."""
        ...

    async def offer_to(self, interaction_id: str, agent_id: str, *, by: str) -> InteractionView:
        """A supervisor offers waiting or ringing work to a named available agent (audited).
        Raises AgentUnavailable (presence, capacity) or another RoutingError."""
        ...

    def trace(self, interaction_id: str) -> tuple[Decision, ...]:
        """The core's recent decisions about an interaction, oldest first ("why this agent")."""
        ...

    async def record_action(self, action: SupervisorAction) -> None:
        """Store an audit entry (a `supervisor_action` event) in the event log, in order with the rest."""
        ...

    async def record_ivr(self, steps: Sequence[IvrStep]) -> None:
        """Log callers' steps through the IVR (`ivr` events), in order with the rest; returns once they are
        published, without waiting for the database."""
        ...

    def interaction(self, interaction_id: str) -> InteractionView | None: ...

    def agent(self, agent_id: str) -> AgentView:
        """Raises UnknownAgent."""
        ...

    def queue_for_agent(self, agent_id: str, channel: str, *, first: str | None = None) -> str | None:
        """A queue of `channel` whose work `agent_id` may take (`first` if it is one), or None."""
        ...

    def queue_full(self, queue_id: str) -> bool:
        """True while `queue_id` holds as many waiting interactions as its `max_length`: work enqueued now
        would be refused (`queue_full`)."""
        ...

    def wait_estimate(self, interaction_id: str) -> WaitEstimate | None: ...

    def subscribe(self, listener: EventListener) -> None:
        """`listener` gets every batch of routing events, in order, once stored."""
        ...

    def complete_with(self, channel: Channel, completer: WorkCompleter) -> None:
        """Work of `channel` ended without a transcript (through REST, say) gets what `completer` adds
        before its activity is logged."""
        ...


class CustomerDesk(Protocol):
    """The CRM side of routed work (gateway.cti implements it): one identification per interaction, its
    case, its screen pop and its activity, all read from the customer context that travels with it."""

    async def identify(self, new: NewInteraction) -> CustomerContext:
        """For work that arrives unidentified (REST, an IVR without `lookup`): ask the CRM once; asked again
        for the same interaction id, the first answer."""
        ...

    def file(self, new: NewInteraction) -> None:
        """Start filing the interaction on the customer's case (in the background), before it is routed:
        its first offer's pop can then show the case."""
        ...

    async def pop(self, view: InteractionView, *, wait_seconds: float) -> dict[str, Any] | None: ...

    def pending(self, interaction_id: str) -> bool:
        """True while the case filing has not finished: a complete pop follows later."""
        ...

    async def settled(self, interaction_id: str, *, within: float) -> bool: ...

    async def finish(self, view: InteractionView, agent_id: str | None, done: WorkDone) -> None:
        """Log the ended interaction on its case."""
        ...

    def forget(self, interaction_id: str) -> None: ...

    async def close(self) -> None: ...
