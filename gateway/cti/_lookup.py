"""The IVR's `lookup` verb answered by the CTI service.

`lookup` sets `customer.*` attributes, which later verbs branch on (`{attribute: customer.level, equals:
premium, goto: vip}`) and which the agent sees in the screen pop:

    customer.id, customer.name, customer.company, customer.account, customer.matched_by,
    customer.level (the covering entitlement's level, or "none"), customer.entitled ("true"/"false"),
    customer.open_cases (a count)

The whole answer travels with the call as its customer context: the queue's entitlement rule, the pop,
the case and the activity log read it, so the CRM is asked once. When the CRM does not answer in time the
lookup finds nobody: the call goes on, unpunished, and the screen pop says the CRM was unavailable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from cti_adapter import CallerContext, CtiService
from gateway.acd import CustomerContext
from gateway.cti._desk import customer_context

__all__ = ["answer_lookup_by", "lookup_attributes"]


def lookup_attributes(context: CallerContext) -> dict[str, str]:
    """The `customer.*` attributes (without the prefix) for a context; empty when nobody was found."""
    customer = context.customer
    if customer is None:
        return {}
    attributes = {
        "id": customer.id,
        "name": customer.name,
        "matched_by": context.match.matched_by.value if context.match else "",
        "level": context.entitlement.level if context.entitlement else "none",
        "entitled": "true" if context.entitled else "false",
        "open_cases": str(len(context.open_cases)),
    }
    if customer.company:
        attributes["company"] = customer.company
    if customer.account_number:
        attributes["account"] = customer.account_number
    return attributes


async def _identify_by(service: CtiService, by: str, value: str) -> CallerContext:
    """By the caller's number, or by a collected attribute: an e-mail address when its name says so, else
    an account number."""
    if by == "caller":
        return await service.identify(caller=value)
    if "email" in by.lower():
        return await service.identify(email=value)
    return await service.identify(account=value)


def answer_lookup_by(
    service: CtiService,
) -> Callable[[str, str], Awaitable[tuple[Mapping[str, str], CustomerContext]]]:
    """The voice service's `lookup(by, value)`: the flow's `customer.*` attributes and the context."""

    async def lookup(by: str, value: str) -> tuple[Mapping[str, str], CustomerContext]:
        context = await _identify_by(service, by, value)
        return lookup_attributes(context), customer_context(context)

    return lookup
