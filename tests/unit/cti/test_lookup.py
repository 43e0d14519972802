"""The IVR `lookup` verb answered by the CTI service: later verbs branch on the customer's entitlement,
and the whole answer (with the entitlement rule the routing server applies) travels with the call."""

from __future__ import annotations

from datetime import UTC, date, datetime

import yaml

from cti_adapter import CtiService, NoEntitlementPolicy
from cti_adapter.builtin import BuiltinCrm, NewCustomer, NewEntitlement
from gateway.acd import CustomerContext
from gateway.cti import answer_lookup_by
from gateway.ivr import (
    CollectDigits,
    DigitsCollected,
    FlowRun,
    LookupCustomer,
    LookupResult,
    StartQueue,
    parse_flows,
)

NOW = datetime(2025, 6, 1, 10, tzinfo=UTC)
FLOWS = parse_flows(
    yaml.safe_load("""
main:
  - lookup: caller
  - branch:
      when:
        - {attribute: customer.level, equals: premium, goto: vip}
        - {attribute: customer.found, equals: "false", goto: billing.ask}
      default: standard
  - id: vip
    queue: {queue: support, priority: 10}
  - id: standard
    queue: support
billing:
  - id: ask
    collect: {attribute: account_number, prompt: "Your account number", min_length: 8, max_length: 8}
  - lookup: {by: attribute, attribute: account_number}
  - branch:
      when:
        - {attribute: customer.level, equals: premium, goto: main.vip}
      default: main.standard
"""),
    queues={"support"},
    business_hours=set(),
)


async def answer(service: CtiService, action: LookupCustomer) -> tuple[LookupResult, CustomerContext]:
    """What the voice service does with a `lookup`: the flow gets the attributes, the call the context."""
    attributes, customer = await answer_lookup_by(service)(action.by, action.value)
    return LookupResult(attributes), customer


def run_for(caller: str) -> FlowRun:
    return FlowRun(FLOWS, "main", caller=caller, now=NOW, is_open=lambda name, at: True)


async def seeded(crm: BuiltinCrm) -> CtiService:
    await crm.create_customer(
        NewCustomer(
            name="Ann Lee",
            phone="020 7946 0958",
            account_number="10023456",
            entitlements=(NewEntitlement("premium", date(2024, 1, 1), date(2030, 12, 31)),),
        )
    )
    await crm.create_customer(
        NewCustomer(name="Kofi Mensah", phone="020 7946 0444", account_number="10119999")
    )
    return CtiService(
        crm,
        default_region="GB",
        clock=lambda: NOW,
        no_entitlement=NoEntitlementPolicy(priority_delta=-2, queue="general"),
    )


async def test_given_a_premium_caller_when_the_flow_looks_them_up_then_it_queues_them_with_priority(
    crm: BuiltinCrm,
) -> None:
    service = await seeded(crm)
    run = run_for("+442079460958")

    action = run.start()
    assert isinstance(action, LookupCustomer) and action.by == "caller"
    result, customer = await answer(service, action)
    queued = run.feed(result)

    assert isinstance(queued, StartQueue) and queued.priority == 10
    assert queued.attributes["customer.name"] == "Ann Lee"
    assert queued.attributes["customer.entitled"] == "true"
    assert (customer.level, customer.priority_delta, customer.queue) == ("premium", 10, None)
    assert customer.rule == "level_priority: premium +10"


async def test_given_an_unknown_number_when_the_caller_types_a_premium_account_then_they_are_identified(
    crm: BuiltinCrm,
) -> None:
    service = await seeded(crm)
    run = run_for("+441614960000")

    first = run.start()
    assert isinstance(first, LookupCustomer)
    collect = run.feed((await answer(service, first))[0])
    assert isinstance(collect, CollectDigits)  # nobody with this number: the flow asks for the account
    second = run.feed(DigitsCollected("10023456"))
    assert isinstance(second, LookupCustomer) and (second.by, second.value) == ("account_number", "10023456")
    result, customer = await answer(service, second)
    queued = run.feed(result)

    assert isinstance(queued, StartQueue) and queued.priority == 10
    assert queued.attributes["customer.matched_by"] == "account"
    assert customer.details["account"] == "10023456" and customer.level == "premium"


async def test_given_a_caller_without_entitlement_when_routed_then_the_policy_moves_and_lowers_them(
    crm: BuiltinCrm,
) -> None:
    service = await seeded(crm)
    run = run_for("020 7946 0444")

    action = run.start()
    assert isinstance(action, LookupCustomer)
    result, customer = await answer(service, action)
    queued = run.feed(result)

    assert isinstance(queued, StartQueue) and queued.priority == 0
    assert queued.attributes["customer.level"] == "none"
    assert (customer.level, customer.priority_delta, customer.queue) == (None, -2, "general")
    assert customer.rule == "no_entitlement: priority -2, queue general"
