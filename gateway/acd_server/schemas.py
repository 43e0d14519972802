"""The JSON shapes of the routing REST API (parsed at the edge, documented in OpenAPI)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from cti_adapter import DISPOSITION_MAX_LENGTH
from gateway.acd.specs import Channel
from gateway.storage import column_length

__all__ = [
    "AgentList",
    "AgentOut",
    "CapacityOut",
    "EndRequest",
    "InteractionIn",
    "InteractionList",
    "InteractionOut",
    "PresenceIn",
    "PresenceOut",
    "QueueList",
    "QueueOut",
    "SkillLevel",
]

AttributeValue = str | int | float | bool
Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=column_length("interactions.queue_id"),
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    ),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SkillLevel(_In):
    skill: Name
    min_level: int = Field(default=1, ge=1, le=10, strict=True)


class PresenceIn(_In):
    state: Literal["available", "not_ready", "offline"]
    reason: str | None = Field(default=None, min_length=1, max_length=column_length("agent_presence.reason"))


class InteractionIn(_In):
    channel: Channel
    queue: Name
    skills: tuple[SkillLevel, ...] = Field(default=(), max_length=20)
    priority: int = Field(default=0, ge=0, le=100, strict=True)
    attributes: dict[Annotated[str, Field(max_length=64)], AttributeValue] = Field(
        default_factory=dict, max_length=100
    )
    preferred_agent: Name | None = None
    only_agent: Name | None = None  # only this agent may ever take it (checked against the agents: 400)
    customer_ref: str | None = Field(default=None, max_length=column_length("interactions.customer_ref"))


class EndRequest(_In):
    reason: Literal["completed", "transferred", "dropped"] = "completed"
    disposition: str | None = Field(default=None, max_length=DISPOSITION_MAX_LENGTH)
    notes: str | None = Field(default=None, max_length=10_000)


class WrapUpRequest(_In):
    """The disposition and notes for work that ended without them (the customer hung up)."""

    disposition: str = Field(min_length=1, max_length=DISPOSITION_MAX_LENGTH)
    notes: str | None = Field(default=None, max_length=10_000)


class WrapUpOut(BaseModel):
    interaction_id: str
    logged: bool


class PresenceOut(BaseModel):
    state: str
    reason: str | None = None
    since: float
    wrap_up_until: float | None = None


class CapacityOut(BaseModel):
    total: int
    used: int


class AgentOut(BaseModel):
    id: str
    name: str
    skills: dict[str, int]
    presence: PresenceOut
    capacity: CapacityOut
    work: list[str]


class AgentList(BaseModel):
    items: list[AgentOut]


class QueueOut(BaseModel):
    id: str
    name: str
    channel: str
    strategy: str
    skills: list[SkillLevel]
    waiting: int
    oldest_wait_seconds: float | None
    agents_available: int
    agents_eligible: int


class QueueList(BaseModel):
    items: list[QueueOut]


class InteractionOut(BaseModel):
    id: str
    channel: str
    queue: str
    state: str
    priority: int
    attributes: dict[str, AttributeValue]
    customer_ref: str | None
    agent_id: str | None
    created_at: float
    offered_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    outcome: str | None = Field(
        default=None,
        description="how it ended: the end's reason (completed, transferred...), abandoned, the exit taken "
        "(voicemail, callback), or why it was let go (closed, max_wait, queue_full, media_worker_lost)",
    )
    wait_seconds: float | None = None
    trace: list[dict[str, object]] | None = None


class InteractionList(BaseModel):
    items: list[InteractionOut]
