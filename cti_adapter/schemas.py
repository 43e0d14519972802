"""JSON bodies of the customers and cases REST API, parsed once at the edge into the CRM's values."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cti_adapter._contract import Activity, Case, Customer, Entitlement

__all__ = [
    "ActivityIn",
    "ActivityList",
    "ActivityOut",
    "CaseIn",
    "CaseList",
    "CaseOut",
    "CasePatch",
    "CustomerDetail",
    "CustomerIn",
    "CustomerList",
    "CustomerOut",
    "CustomerPatch",
    "DialIn",
    "DialOut",
    "EntitlementIn",
    "EntitlementOut",
]

Status = Literal["open", "pending", "closed"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class EntitlementIn(_In):
    level: str = Field(min_length=1, max_length=32)
    starts: date
    ends: date | None = None
    products: list[str] = Field(default_factory=list, max_length=100)


class CustomerIn(_In):
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40, description="any format; stored as E.164")
    email: str | None = Field(default=None, max_length=254)
    account_number: str | None = Field(default=None, max_length=64, description="an existing one joins it")
    company: str | None = Field(default=None, max_length=200)
    entitlements: list[EntitlementIn] = Field(default_factory=list, max_length=50)


class CustomerPatch(_In):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    company: str | None = Field(default=None, max_length=200)
    entitlements: list[EntitlementIn] = Field(default_factory=list, max_length=50, description="added")


class EntitlementOut(_Out):
    id: str
    level: str
    starts: date
    ends: date | None
    products: list[str]
    active: bool

    @classmethod
    def of(cls, entitlement: Entitlement, today: date) -> EntitlementOut:
        return cls(
            id=entitlement.id,
            level=entitlement.level,
            starts=entitlement.starts,
            ends=entitlement.ends,
            products=list(entitlement.products),
            active=entitlement.active_on(today),
        )


class CustomerOut(_Out):
    id: str
    name: str
    account_id: str
    account_number: str | None
    company: str | None
    phone: str | None
    email: str | None

    @classmethod
    def of(cls, customer: Customer) -> CustomerOut:
        return cls(
            id=customer.id,
            name=customer.name,
            account_id=customer.account_id,
            account_number=customer.account_number,
            company=customer.company,
            phone=customer.phone,
            email=customer.email,
        )


class CaseOut(_Out):
    id: str
    account_id: str
    contact_id: str | None
    subject: str
    status: Status
    priority: int
    created_at: datetime
    updated_at: datetime
    interaction_ids: list[str]
    disposition: str | None
    notes: str | None

    @classmethod
    def of(cls, case: Case) -> CaseOut:
        return cls(
            id=case.id,
            account_id=case.account_id,
            contact_id=case.contact_id,
            subject=case.subject,
            status=case.status.value,
            priority=case.priority,
            created_at=case.created_at,
            updated_at=case.updated_at,
            interaction_ids=list(case.interaction_ids),
            disposition=case.disposition,
            notes=case.notes,
        )


class CustomerDetail(CustomerOut):
    entitlements: list[EntitlementOut]
    open_cases: list[CaseOut]


class CustomerList(_Out):
    items: list[CustomerOut]


class CaseIn(_In):
    customer_id: str = Field(min_length=1)
    subject: str = Field(min_length=1, max_length=200)
    interaction_id: str | None = Field(default=None, max_length=64)
    priority: int = Field(default=0, ge=-100, le=100)
    attach: bool = Field(default=True, description="join the account's unclosed case on the same subject")


class CasePatch(_In):
    subject: str | None = Field(default=None, min_length=1, max_length=200)
    status: Status | None = None
    priority: int | None = Field(default=None, ge=-100, le=100)
    disposition: str | None = Field(default=None, max_length=64)
    notes: str | None = Field(default=None, max_length=20_000)


class CaseList(_Out):
    items: list[CaseOut]


class ActivityIn(_In):
    channel: str = Field(min_length=1, max_length=16)
    started_at: datetime
    interaction_id: str | None = Field(default=None, max_length=64)
    wait_seconds: float = Field(default=0, ge=0)
    talk_seconds: float = Field(default=0, ge=0)
    hold_seconds: float = Field(default=0, ge=0)
    wrap_up_seconds: float = Field(default=0, ge=0)
    queue: str | None = Field(default=None, max_length=64)
    agent_id: str | None = Field(default=None, max_length=64)
    disposition: str | None = Field(default=None, max_length=64)
    notes: str | None = Field(default=None, max_length=20_000)
    recording_url: str | None = Field(default=None, max_length=1000)
    transcript_url: str | None = Field(default=None, max_length=1000)
    transcript: str | None = Field(default=None, max_length=1_000_000)


class ActivityOut(ActivityIn):
    model_config = ConfigDict(frozen=True)

    @classmethod
    def of(cls, activity: Activity) -> ActivityOut:
        return cls(
            channel=activity.channel,
            started_at=activity.started_at,
            interaction_id=activity.interaction_id,
            wait_seconds=activity.wait_seconds,
            talk_seconds=activity.talk_seconds,
            hold_seconds=activity.hold_seconds,
            wrap_up_seconds=activity.wrap_up_seconds,
            queue=activity.queue,
            agent_id=activity.agent_id,
            disposition=activity.disposition,
            notes=activity.notes,
            recording_url=activity.recording_url,
            transcript_url=activity.transcript_url,
            transcript=activity.transcript,
        )


class ActivityList(_Out):
    items: list[ActivityOut]


class DialIn(_In):
    number: str = Field(min_length=1, max_length=40)
    customer_id: str | None = None
    case_id: str | None = None


class DialOut(_Out):
    agent_id: str
    number: str
    requested_at: datetime
    customer_id: str | None
    case_id: str | None
