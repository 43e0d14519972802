"""What identification found about a customer, and the case their interaction was filed under.

`CallerContext` is found once per interaction and then travels with it (as JSON, `context_to_json`), so
the screen pop, the case and the activity log never ask the CRM again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cti_adapter._codec import (
    case_from_json,
    case_to_json,
    customer_from_json,
    customer_to_json,
    entitlement_from_json,
    entitlement_to_json,
)
from cti_adapter._contract import Case, Customer, CustomerMatch, Entitlement, LookupKind

__all__ = ["CallerContext", "CaseRef", "NoEntitlementPolicy", "context_from_json", "context_to_json"]


@dataclass(frozen=True, slots=True)
class NoEntitlementPolicy:
    """What happens to an interaction no entitlement covers: a priority change and/or another queue."""

    priority_delta: int = 0
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class CallerContext:
    """What the CRM said about a caller within the time budget; `crm_unavailable` when it did not finish."""

    caller: str | None = None  # E.164 when the number could be read, else as presented
    account: str | None = None
    match: CustomerMatch | None = None
    entitlement: Entitlement | None = None
    open_cases: tuple[Case, ...] = ()
    crm_unavailable: bool = False
    unavailable_reason: str | None = None
    priority_delta: int = 0
    queue: str | None = None  # route here instead of the flow's queue (the no-entitlement policy)
    rule: str = ""  # the entitlement rule behind priority_delta and queue, in words ("" when none applied)

    @property
    def customer(self) -> Customer | None:
        return self.match.customer if self.match else None

    @property
    def entitled(self) -> bool:
        return self.entitlement is not None


@dataclass(frozen=True, slots=True)
class CaseRef:
    """The case an interaction was filed under: `case_id` once the CRM confirmed it, else queued as `key`."""

    subject: str
    case_id: str | None
    key: str | None = None
    attached: bool | None = None  # None: not known yet (the write is queued)

    @property
    def pending(self) -> bool:
        return self.case_id is None


def context_to_json(context: CallerContext) -> dict[str, Any]:
    """The whole context as JSON, to travel with the interaction; `context_from_json` reads it back."""
    match = context.match
    return {
        "caller": context.caller,
        "account": context.account,
        "customer": customer_to_json(match.customer) if match else None,
        "matched_by": match.matched_by.value if match else None,
        "other_matches": match.others if match else 0,
        "entitlement": entitlement_to_json(context.entitlement) if context.entitlement else None,
        "open_cases": [case_to_json(c) for c in context.open_cases],
        "crm_unavailable": context.crm_unavailable,
        "unavailable_reason": context.unavailable_reason,
        "priority_delta": context.priority_delta,
        "queue": context.queue,
        "rule": context.rule,
    }


def context_from_json(data: Mapping[str, Any]) -> CallerContext:
    customer, entitlement = data.get("customer"), data.get("entitlement")
    match = (
        CustomerMatch(
            customer_from_json(customer),
            LookupKind(data.get("matched_by") or LookupKind.PHONE.value),
            int(data.get("other_matches") or 0),
        )
        if isinstance(customer, Mapping)
        else None
    )
    return CallerContext(
        caller=_text(data.get("caller")),
        account=_text(data.get("account")),
        match=match,
        entitlement=entitlement_from_json(entitlement) if isinstance(entitlement, Mapping) else None,
        open_cases=tuple(case_from_json(c) for c in data.get("open_cases") or () if isinstance(c, Mapping)),
        crm_unavailable=data.get("crm_unavailable") is True,
        unavailable_reason=_text(data.get("unavailable_reason")),
        priority_delta=int(data.get("priority_delta") or 0),
        queue=_text(data.get("queue")),
        rule=str(data.get("rule") or ""),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
