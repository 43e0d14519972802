"""The IVR `lookup` verb answered by the CTI service, and the routing it implies.

`lookup` sets `customer.*` attributes, which later verbs branch on (`{attribute: customer.level, equals:
premium, goto: vip}`) and which travel with the interaction into the queue:

    customer.id, customer.name, customer.company, customer.account, customer.matched_by,
    customer.level (the covering entitlement's level, or "none"), customer.entitled ("true"/"false"),
    customer.open_cases (a count), customer.priority_delta, customer.queue (only when the policy moves it)

When the CRM does not answer in time the lookup finds nobody (`customer.found` is "false"): the call
goes on, unpunished, and the screen pop says the CRM was unavailable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from cti_adapter._service import CallerContext, CtiService
from gateway.ivr import LookupCustomer, LookupResult

__all__ = ["answer_lookup", "answer_lookup_by", "lookup_attributes", "routed"]


async def answer_lookup(service: CtiService, action: LookupCustomer) -> LookupResult:
    """Answer the flow's LookupCustomer: by the caller's number, or by a collected attribute's value.

    An attribute whose name mentions `email` is looked up as an e-mail address, any other as an account.
    """
    return LookupResult(lookup_attributes(await _identify_by(service, action.by, action.value)))


async def _identify_by(service: CtiService, by: str, value: str) -> CallerContext:
    if by == "caller":
        return await service.identify(caller=value)
    if "email" in by.lower():
        return await service.identify(email=value)
    return await service.identify(account=value)


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
        "priority_delta": str(context.priority_delta),
    }
    if customer.company:
        attributes["company"] = customer.company
    if customer.account_number:
        attributes["account"] = customer.account_number
    if context.queue:
        attributes["queue"] = context.queue
    return attributes


def routed(queue: str, priority: int, attributes: Mapping[str, str]) -> tuple[str, int]:
    """The queue and priority a `queue` verb really uses once the lookup's hints are applied."""
    try:
        delta = int(attributes.get("customer.priority_delta", "0"))
    except ValueError:
        delta = 0
    return attributes.get("customer.queue") or queue, priority + delta


def answer_lookup_by(service: CtiService) -> Callable[[str, str], Awaitable[Mapping[str, str]]]:
    """The voice service's `lookup(by, value)`: the caller's `customer.*` attributes, empty when unknown."""

    async def lookup(by: str, value: str) -> Mapping[str, str]:
        return lookup_attributes(await _identify_by(service, by, value))

    return lookup
