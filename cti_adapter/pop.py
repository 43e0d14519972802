"""The screen pop: a CRM-neutral event an agent's panel shows when an interaction is offered.

The JSON schema (`ScreenPop.model_json_schema()`) is printed in `cti_adapter/README.md`; `schema_version`
changes only when a field is removed or changes meaning, never when one is added.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PopCase", "PopCaseRef", "PopCustomer", "PopEntitlement", "ScreenPop"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PopCustomer(_Model):
    """Who the caller is, as the CRM knows them."""

    id: str
    name: str
    company: str | None = None
    account_number: str | None = None
    phone: str | None = Field(default=None, description="E.164")
    email: str | None = None
    matched_by: Literal["phone", "account", "email"]
    other_matches: int = Field(default=0, description="further customers the same lookup matched")


class PopEntitlement(_Model):
    """The support contract that covers this interaction."""

    level: str = Field(description="premium, standard, basic... as configured")
    products: list[str] = Field(default_factory=list, description="empty: every product")
    starts: date
    ends: date | None = None


class PopCase(_Model):
    """An unclosed case of the customer's account."""

    id: str
    subject: str
    status: Literal["open", "pending", "closed"]
    priority: int
    updated_at: datetime


class PopCaseRef(_Model):
    """The case this interaction was filed under."""

    id: str | None = Field(description="the CRM's case id; null while the CRM has not confirmed it yet")
    key: str | None = Field(default=None, description="Helpline's reference for a case write still queued")
    subject: str
    attached: bool | None = Field(
        default=None,
        description="true: joined an open case on the same subject; false: a new case; null: not known yet",
    )
    pending: bool = Field(default=False, description="true: the CRM is unavailable, the write is queued")


class ScreenPop(_Model):
    """Everything the panel shows when an interaction rings; absent knowledge is null, never guessed."""

    schema_version: Literal[1] = 1
    interaction_id: str
    channel: str = Field(description="voice, chat, email...")
    created_at: datetime
    queue: str | None = None
    caller: str | None = Field(default=None, description="the caller's number in E.164 when it could be read")
    wait_seconds: float | None = Field(default=None, ge=0)
    customer: PopCustomer | None = None
    entitlement: PopEntitlement | None = None
    entitled: bool = Field(description="an entitlement covers this interaction")
    open_cases: list[PopCase] = Field(default_factory=list)
    ivr: dict[str, str] = Field(
        default_factory=dict, description="what the caller entered; sensitive values left out"
    )
    intent: str | None = Field(default=None, description="why they call: the IVR branch or recognised intent")
    case: PopCaseRef | None = None
    crm_unavailable: bool = Field(
        default=False, description="the CRM did not answer in time: shown what is known"
    )
    notice: str | None = Field(
        default=None, description="a line for the agent, e.g. that the CRM is unavailable"
    )
