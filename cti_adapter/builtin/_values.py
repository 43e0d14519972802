"""What the built-in CRM takes beyond the adapter contract: new customers, changes, entitlements, queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cti_adapter._contract import CaseStatus
from cti_adapter.errors import InvalidCrmData

__all__ = ["CaseQuery", "CustomerChanges", "CustomerQuery", "NewCustomer", "NewEntitlement"]


@dataclass(frozen=True, slots=True)
class NewEntitlement:
    level: str
    starts: date
    ends: date | None = None
    products: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.level.strip():
            raise InvalidCrmData("level", "must not be empty")
        if self.ends is not None and self.ends < self.starts:
            raise InvalidCrmData(
                "ends", f"{self.ends.isoformat()} is before starts {self.starts.isoformat()}"
            )


@dataclass(frozen=True, slots=True)
class NewCustomer:
    """A contact; `phone` in any format the default region reads. An existing `account_number` is joined."""

    name: str
    phone: str | None = None
    email: str | None = None
    account_number: str | None = None
    company: str | None = None
    entitlements: tuple[NewEntitlement, ...] = ()

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidCrmData("name", "must not be empty")
        if len(self.name) > 200:
            raise InvalidCrmData("name", f"at most 200 characters, got {len(self.name)}")


@dataclass(frozen=True, slots=True)
class CustomerChanges:
    """Fields to change; None leaves a field as it is."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    company: str | None = None

    def __post_init__(self) -> None:
        if self.name is not None and not self.name.strip():
            raise InvalidCrmData("name", "must not be empty")


@dataclass(frozen=True, slots=True)
class CustomerQuery:
    """Search filters, combined with AND; `text` matches name, company or e-mail, case-insensitively."""

    phone: str | None = None
    email: str | None = None
    account_number: str | None = None
    text: str | None = None
    limit: int = 50
    offset: int = 0

    def __post_init__(self) -> None:
        _check_page(self.limit, self.offset)


@dataclass(frozen=True, slots=True)
class CaseQuery:
    customer_id: str | None = None
    account_id: str | None = None
    status: CaseStatus | None = None
    text: str | None = None  # in the subject
    limit: int = 50
    offset: int = 0

    def __post_init__(self) -> None:
        _check_page(self.limit, self.offset)


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= 500:
        raise InvalidCrmData("limit", f"must be between 1 and 500, got {limit}")
    if offset < 0:
        raise InvalidCrmData("offset", f"must be >= 0, got {offset}")
