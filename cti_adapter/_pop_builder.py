"""Builds the CRM-neutral screen pop from what identification found."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from cti_adapter._context import CallerContext, CaseRef
from cti_adapter.pop import PopCase, PopCaseRef, PopCustomer, PopEntitlement, ScreenPop

__all__ = ["build_screen_pop"]

# Attributes the pop shows as IVR data: what the caller entered or chose, not what the gateway set.
_NOT_IVR_DATA = ("caller", "called")


def build_screen_pop(
    interaction_id: str,
    context: CallerContext,
    *,
    created_at: datetime,
    channel: str,
    queue: str | None,
    wait_seconds: float | None,
    ivr: Mapping[str, str],
    sensitive: Collection[str],
    intent: str | None,
    case: CaseRef | None,
) -> ScreenPop:
    return ScreenPop(
        interaction_id=interaction_id,
        channel=channel,
        created_at=created_at,
        queue=queue,
        caller=context.caller,
        wait_seconds=wait_seconds,
        customer=_customer(context),
        entitlement=_entitlement(context),
        entitled=context.entitled,
        open_cases=[
            PopCase(
                id=c.id,
                subject=c.subject,
                status=c.status.value,
                priority=c.priority,
                updated_at=c.updated_at,
            )
            for c in context.open_cases
        ],
        ivr={
            k: v
            for k, v in ivr.items()
            if k not in sensitive and k not in _NOT_IVR_DATA and not k.startswith("customer.")
        },
        intent=intent,
        case=PopCaseRef(
            id=case.case_id, key=case.key, subject=case.subject, attached=case.attached, pending=case.pending
        )
        if case
        else None,
        crm_unavailable=context.crm_unavailable,
        notice=f"The CRM is unavailable ({context.unavailable_reason}); showing what is known."
        if context.crm_unavailable
        else None,
    )


def _customer(context: CallerContext) -> PopCustomer | None:
    match = context.match
    if match is None:
        return None
    c = match.customer
    return PopCustomer(
        id=c.id,
        name=c.name,
        company=c.company,
        account_number=c.account_number,
        phone=c.phone,
        email=c.email,
        matched_by=match.matched_by.value,
        other_matches=match.others,
    )


def _entitlement(context: CallerContext) -> PopEntitlement | None:
    e = context.entitlement
    if e is None:
        return None
    return PopEntitlement(level=e.level, products=list(e.products), starts=e.starts, ends=e.ends)
