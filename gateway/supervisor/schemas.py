"""The JSON shapes of the supervisor's REST API (parsed at the edge, documented in OpenAPI)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AuditEntry",
    "AuditList",
    "ExclusionOut",
    "MoveIn",
    "OfferIn",
    "TraceOut",
    "TraceStep",
]

Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MoveIn(_In):
    queue: Name


class OfferIn(_In):
    agent_id: Name


class ExclusionOut(BaseModel):
    agent: str
    why: str


class TraceStep(BaseModel):
    at: float
    headline: str
    rule: str
    chosen_agent: str | None
    candidates: list[str]
    excluded: list[ExclusionOut]
    not_listed: int = Field(description="unavailable agents left out of `excluded` to bound the cost")


class TraceOut(BaseModel):
    interaction_id: str
    queue: str
    state: str
    agent_id: str | None
    entitlement: str | None
    steps: list[TraceStep]


class AuditEntry(BaseModel):
    seq: int
    at: float
    by: str
    action: str
    agent_id: str | None
    interaction_id: str | None
    details: dict[str, Any]


class AuditList(BaseModel):
    items: list[AuditEntry]
