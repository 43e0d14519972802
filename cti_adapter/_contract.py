"""The adapter contract: the values every CRM adapter speaks and the `CrmAdapter` protocol it implements.

The built-in CRM (SQLAlchemy) and the REST adapter for external CRMs both implement `CrmAdapter`; the
CTI service, the IVR `lookup` verb and the screen pop see only these values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Protocol

from cti_adapter._phone import normalize_phone
from cti_adapter.errors import InvalidCrmData

__all__ = [
    "DEFAULT_LEVELS",
    "Activity",
    "Case",
    "CaseAttachment",
    "CaseStatus",
    "CrmAdapter",
    "Customer",
    "CustomerMatch",
    "Entitlement",
    "Lookup",
    "LookupKind",
    "NewCase",
    "best_entitlement",
    "subject_key",
]


# Support levels from best to worst: when several entitlements cover a call, the best one counts.
DEFAULT_LEVELS = ("premium", "standard", "basic")


class LookupKind(StrEnum):
    PHONE = "phone"  # E.164
    ACCOUNT = "account"  # the account number, as collected in the IVR
    EMAIL = "email"  # lower-cased


@dataclass(frozen=True, slots=True)
class Lookup:
    """How to find a customer; build it with `by_phone`, `by_account` or `by_email`, which normalise."""

    kind: LookupKind
    value: str

    @classmethod
    def by_phone(cls, raw: str, default_region: str) -> Lookup:
        """Raises InvalidPhoneNumber when `raw` is not a valid number."""
        return cls(LookupKind.PHONE, normalize_phone(raw, default_region))

    @classmethod
    def by_account(cls, number: str) -> Lookup:
        value = number.strip()
        if not value:
            raise InvalidCrmData("account", "must not be empty")
        return cls(LookupKind.ACCOUNT, value)

    @classmethod
    def by_email(cls, address: str) -> Lookup:
        value = address.strip().lower()
        if "@" not in value.strip("@"):
            raise InvalidCrmData("email", f"{address!r} is not an e-mail address")
        return cls(LookupKind.EMAIL, value)


@dataclass(frozen=True, slots=True)
class Customer:
    """A person who calls (a contact) and the account they belong to; `id` is the contact's id."""

    id: str
    name: str
    account_id: str
    account_number: str | None = None
    company: str | None = None
    phone: str | None = None  # E.164
    email: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerMatch:
    customer: Customer
    matched_by: LookupKind
    others: int = 0  # further customers the same lookup matched (a shared switchboard number, say)


@dataclass(frozen=True, slots=True)
class Entitlement:
    """A support contract: `level` (premium, standard...) for `products` (empty: all) from `starts` to `ends`.

    Dates are inclusive and read in UTC; `ends` None means open-ended.
    """

    id: str
    account_id: str
    level: str
    starts: date
    ends: date | None = None
    products: tuple[str, ...] = ()

    def active_on(self, day: date) -> bool:
        return self.starts <= day and (self.ends is None or day <= self.ends)

    def covers(self, product: str | None, at: datetime) -> bool:
        """True when the contract runs at `at` and includes `product` (any product when None)."""
        if at.utcoffset() is None:
            raise ValueError(f"entitlement {self.id!r}: `at` must be timezone-aware, got {at.isoformat()}")
        if not self.active_on(at.astimezone(UTC).date()):
            return False
        return product is None or not self.products or product.lower() in {p.lower() for p in self.products}


def best_entitlement(
    entitlements: Sequence[Entitlement], product: str | None, at: datetime, ranking: Sequence[str]
) -> Entitlement | None:
    """The covering entitlement with the highest level in `ranking` (unknown levels last), then latest end."""
    covering = [e for e in entitlements if e.covers(product, at)]
    if not covering:
        return None

    def rank(e: Entitlement) -> tuple[int, date]:
        level = ranking.index(e.level) if e.level in ranking else len(ranking)
        return (-level, e.ends or date.max)

    return max(covering, key=rank)


class CaseStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"  # waiting on the customer or a third party; still unresolved
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    account_id: str
    subject: str
    status: CaseStatus
    priority: int
    created_at: datetime
    updated_at: datetime
    contact_id: str | None = None
    interaction_ids: tuple[str, ...] = ()
    disposition: str | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class NewCase:
    """What `open_case`/`attach_case` need: the customer, the subject, the interaction that opened it."""

    customer_id: str
    subject: str
    interaction_id: str | None = None
    priority: int = 0

    def __post_init__(self) -> None:
        if not self.subject.strip():
            raise InvalidCrmData("subject", "must not be empty")
        if len(self.subject) > 200:
            raise InvalidCrmData("subject", f"at most 200 characters, got {len(self.subject)}")


@dataclass(frozen=True, slots=True)
class CaseAttachment:
    case: Case
    attached: bool  # True: an open case on the same subject existed; False: a new case was opened


@dataclass(frozen=True, slots=True)
class Activity:
    """One call or chat logged on a case. Durations in seconds; links point at the recording/transcript."""

    channel: str
    started_at: datetime
    interaction_id: str | None = None
    wait_seconds: float = 0.0
    talk_seconds: float = 0.0
    hold_seconds: float = 0.0
    wrap_up_seconds: float = 0.0
    queue: str | None = None
    agent_id: str | None = None
    disposition: str | None = None
    notes: str | None = None
    recording_url: str | None = None
    transcript_url: str | None = None
    recording_expired: bool = False  # the recording was purged after its retention period
    transcript_expired: bool = False  # the call's transcript was purged with its recordings
    transcript: str | None = None  # a chat's transcript as text

    def __post_init__(self) -> None:
        if self.started_at.utcoffset() is None:
            raise InvalidCrmData("started_at", "must be timezone-aware")
        for name in ("wait_seconds", "talk_seconds", "hold_seconds", "wrap_up_seconds"):
            if getattr(self, name) < 0:
                raise InvalidCrmData(name, f"must be >= 0, got {getattr(self, name)}")


def subject_key(subject: str) -> str:
    """How subjects compare when attaching: case-insensitive, whitespace collapsed."""
    return " ".join(subject.split()).casefold()


class CrmAdapter(Protocol):
    """What Helpline asks of a CRM. Every method may raise CrmUnavailable; lookups return None for nobody."""

    async def find_customer(self, by: Lookup) -> CustomerMatch | None:
        """The customer matching `by`; when several do, the most recently updated, with `others` counted."""
        ...

    async def entitlement(
        self, customer_id: str, product: str | None = None, at: datetime | None = None
    ) -> Entitlement | None:
        """The best entitlement covering `product` at `at` (now when None), or None when there is none."""
        ...

    async def open_cases(self, customer_id: str) -> Sequence[Case]:
        """The customer's account's cases that are not closed, most recently updated first."""
        ...

    async def open_case(self, new: NewCase) -> Case:
        """Open a new case for the customer's account."""
        ...

    async def attach_case(self, new: NewCase) -> CaseAttachment:
        """Add the interaction to the account's unclosed case with the same subject, or open one."""
        ...

    async def log_activity(self, case_id: str, activity: Activity) -> None:
        """Append `activity` to the case (and the interaction to the case's interactions)."""
        ...

    async def update_case(
        self,
        case_id: str,
        *,
        disposition: str | None = None,
        notes: str | None = None,
        status: CaseStatus | None = None,
    ) -> Case:
        """Change what is given; None leaves a field as it is. Raises CaseNotFound."""
        ...

    async def link_transcript(self, case_id: str, interaction_id: str, transcript_url: str) -> None:
        """Give the case's activity for `interaction_id` its transcript's link (a call's transcript is made
        after the call, often after its activity was logged). Raises CaseNotFound."""
        ...
