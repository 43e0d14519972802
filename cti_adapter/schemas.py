"""JSON bodies of the customers and cases REST API, parsed once at the edge into the CRM's values."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from cti_adapter._contract import Activity, Case, Customer, Entitlement, subject_key
from cti_adapter._tables import (
    CrmAccount,
    CrmActivity,
    CrmCase,
    CrmContact,
    CrmEntitlement,
    column_length,
)

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

# Every limit below is the length of the column the field is stored in (tests/unit/storage checks each).
_NAME = column_length(CrmContact.name)
_COMPANY = column_length(CrmAccount.name)
_EMAIL = column_length(CrmContact.email)
_ACCOUNT_NUMBER = column_length(CrmAccount.number)
_ID = column_length(CrmContact.id)
_SUBJECT = column_length(CrmCase.subject)
_DISPOSITION = column_length(CrmCase.disposition)
_INTERACTION_ID = column_length(CrmActivity.interaction_id)
_URL = column_length(CrmActivity.recording_url)
_SUBJECT_KEY = column_length(CrmCase.subject_key)


def _key_fits(subject: str | None) -> str | None:
    # Case folding can lengthen a subject ("ß" -> "ss"); the folded key has a column of its own.
    if subject is not None and len(subject_key(subject)) > _SUBJECT_KEY:
        raise ValueError(f"subject: case-folded it would be longer than {_SUBJECT_KEY} characters")
    return subject


_MAX_SECONDS = 7 * 24 * 3600
Seconds = Annotated[float, Field(ge=0, le=_MAX_SECONDS, allow_inf_nan=False, strict=True)]
"""A duration in seconds: a JSON number (not a boolean or a string), 0 to a week."""
Priority = Annotated[int, Field(ge=-100, le=100, strict=True)]
_LINK = re.compile(r"^(https?://[^\s/?#]+[^\s]*|/(?!/)[^\s]*)$", re.IGNORECASE)


def _link(value: str) -> str:
    if _LINK.match(value) is None:
        raise ValueError("must be an http(s) URL or a path on this server starting with '/'")
    return value


Link = Annotated[str, Field(max_length=_URL), AfterValidator(_link)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class EntitlementIn(_In):
    level: str = Field(min_length=1, max_length=column_length(CrmEntitlement.level))
    starts: date
    ends: date | None = None
    products: list[str] = Field(default_factory=list, max_length=100)


class CustomerIn(_In):
    name: str = Field(min_length=1, max_length=_NAME)
    phone: str | None = Field(default=None, max_length=40, description="any format; stored as E.164")
    email: str | None = Field(default=None, max_length=_EMAIL)
    account_number: str | None = Field(
        default=None, max_length=_ACCOUNT_NUMBER, description="an existing one joins it"
    )
    company: str | None = Field(default=None, max_length=_COMPANY)
    entitlements: list[EntitlementIn] = Field(default_factory=list, max_length=50)


class CustomerPatch(_In):
    name: str | None = Field(default=None, min_length=1, max_length=_NAME)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=_EMAIL)
    company: str | None = Field(default=None, max_length=_COMPANY)
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
    customer_id: str = Field(min_length=1, max_length=_ID)
    subject: str = Field(min_length=1, max_length=_SUBJECT)
    interaction_id: str | None = Field(default=None, max_length=_INTERACTION_ID)
    priority: Priority = 0
    attach: bool = Field(default=True, description="join the account's unclosed case on the same subject")

    _subject_fits = field_validator("subject")(_key_fits)


class CasePatch(_In):
    subject: str | None = Field(default=None, min_length=1, max_length=_SUBJECT)
    status: Status | None = None
    priority: Priority | None = None
    disposition: str | None = Field(default=None, max_length=_DISPOSITION)
    notes: str | None = Field(default=None, max_length=20_000)

    _subject_fits = field_validator("subject")(_key_fits)


class CaseList(_Out):
    items: list[CaseOut]


class ActivityIn(_In):
    channel: str = Field(min_length=1, max_length=column_length(CrmActivity.channel))
    started_at: datetime
    interaction_id: str | None = Field(default=None, max_length=_INTERACTION_ID)
    wait_seconds: Seconds = 0
    talk_seconds: Seconds = 0
    hold_seconds: Seconds = 0
    wrap_up_seconds: Seconds = 0
    queue: str | None = Field(default=None, max_length=column_length(CrmActivity.queue))
    agent_id: str | None = Field(default=None, max_length=column_length(CrmActivity.agent_id))
    disposition: str | None = Field(default=None, max_length=column_length(CrmActivity.disposition))
    notes: str | None = Field(default=None, max_length=20_000)
    recording_url: Link | None = None
    transcript_url: Link | None = None
    transcript: str | None = Field(default=None, max_length=1_000_000)


class ActivityOut(_Out):
    """An activity as stored (rows logged before today's input rules are shown as they are)."""

    channel: str
    started_at: datetime
    interaction_id: str | None
    wait_seconds: float
    talk_seconds: float
    hold_seconds: float
    wrap_up_seconds: float
    queue: str | None
    agent_id: str | None
    disposition: str | None
    notes: str | None
    recording_url: str | None
    transcript_url: str | None
    transcript: str | None
    recording_expired: bool = Field(
        default=False,
        description="the recording was purged after its queue's retention period (playback: 410)",
    )
    transcript_expired: bool = Field(
        default=False,
        description="the call's transcript was purged with its recordings (reading it: 410)",
    )

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
            recording_expired=activity.recording_expired,
            transcript_expired=activity.transcript_expired,
            transcript=activity.transcript,
        )


class ActivityList(_Out):
    items: list[ActivityOut]


class DialIn(_In):
    number: str = Field(min_length=1, max_length=40)
    customer_id: str | None = Field(default=None, max_length=_ID)
    case_id: str | None = Field(default=None, max_length=column_length(CrmCase.id))


class DialOut(_Out):
    agent_id: str
    number: str
    requested_at: datetime
    customer_id: str | None
    case_id: str | None
