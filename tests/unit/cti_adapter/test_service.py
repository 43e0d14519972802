"""The CTI service on the built-in CRM: identification within a time budget, hints, pops, cases."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime

import pytest

from cti_adapter import (
    Activity,
    CallerContext,
    Case,
    CaseAttachment,
    CaseRef,
    CaseStatus,
    CtiService,
    CustomerMatch,
    DialRequest,
    Entitlement,
    Lookup,
    NewCase,
    NoEntitlementPolicy,
    build_screen_pop,
    context_from_json,
    context_to_json,
)
from cti_adapter.builtin import BuiltinCrm, NewCustomer, NewEntitlement
from cti_adapter.pop import ScreenPop

NOW = datetime(2025, 6, 1, 10, tzinfo=UTC)
ANN = NewCustomer(
    name="Ann Lee",
    phone="020 7946 0958",
    email="ann@lee.example",
    account_number="10023456",
    company="Lee Logistics",
    entitlements=(NewEntitlement("premium", date(2024, 1, 1), date(2030, 12, 31)),),
)
KOFI = NewCustomer(
    name="Kofi Mensah",
    phone="020 7946 0444",
    account_number="10119999",
    entitlements=(NewEntitlement("premium", date(2021, 1, 1), date(2022, 12, 31)),),
)
POLICY = NoEntitlementPolicy(priority_delta=-5, queue="general")


def service_for(crm: object, *, lookup_timeout: float = 5.0, **options: object) -> CtiService:
    """A lookup budget no loaded machine exceeds by accident (a timeout's own test sets its own)."""
    return CtiService(
        crm,
        lookup_timeout=lookup_timeout,
        default_region="GB",
        no_entitlement=POLICY,  # type: ignore[arg-type]
        clock=lambda: NOW,
        **options,
    )  # type: ignore[arg-type]


class StuckCrm:
    """A CRM that finds the customer at once and then never answers."""

    def __init__(self, crm: BuiltinCrm) -> None:
        self._crm = crm

    async def find_customer(self, by: Lookup) -> CustomerMatch | None:
        return await self._crm.find_customer(by)

    async def entitlement(
        self, customer_id: str, product: str | None = None, at: datetime | None = None
    ) -> Entitlement | None:
        await asyncio.sleep(30)
        return None

    async def open_cases(self, customer_id: str) -> Sequence[Case]:
        await asyncio.sleep(30)
        return ()

    async def open_case(self, new: NewCase) -> Case:
        raise AssertionError("not used")

    async def attach_case(self, new: NewCase) -> CaseAttachment:
        raise AssertionError("not used")

    async def log_activity(self, case_id: str, activity: Activity) -> None:
        raise AssertionError("not used")

    async def update_case(
        self,
        case_id: str,
        *,
        disposition: str | None = None,
        notes: str | None = None,
        status: CaseStatus | None = None,
    ) -> Case:
        raise AssertionError("not used")


async def test_given_premium_caller_when_identified_by_number_then_customer_entitlement_and_priority_are_set(
    crm: BuiltinCrm,
) -> None:
    await crm.create_customer(ANN)

    context = await service_for(crm).identify(caller="sip:+442079460958@trunk.example.com")

    assert context.customer is not None and context.customer.name == "Ann Lee"
    assert context.entitlement is not None and context.entitlement.level == "premium"
    assert context.priority_delta == 10 and context.queue is None
    assert not context.crm_unavailable


async def test_given_collected_account_when_identified_then_account_wins_over_an_unknown_number(
    crm: BuiltinCrm,
) -> None:
    await crm.create_customer(ANN)

    context = await service_for(crm).identify(caller="+441614960000", account="10023456")

    assert context.match is not None and context.match.matched_by.value == "account"


async def test_given_expired_entitlement_when_identified_then_the_no_entitlement_policy_applies(
    crm: BuiltinCrm,
) -> None:
    await crm.create_customer(KOFI)

    context = await service_for(crm).identify(caller="020 7946 0444")

    assert context.customer is not None and not context.entitled
    assert (context.priority_delta, context.queue) == (-5, "general")


async def test_given_anonymous_caller_when_identified_then_nobody_is_found_and_nothing_fails(
    crm: BuiltinCrm,
) -> None:
    context = await service_for(crm).identify(caller="anonymous")

    assert context.customer is None and not context.crm_unavailable and context.caller == "anonymous"


async def test_given_a_crm_that_hangs_when_identified_then_what_is_known_comes_within_the_budget(
    crm: BuiltinCrm,
) -> None:
    await crm.create_customer(ANN)
    service = service_for(StuckCrm(crm), lookup_timeout=1.0)

    started = time.monotonic()
    context = await service.identify(caller="020 7946 0958")
    elapsed = time.monotonic() - started

    assert elapsed < 1.0 + 0.5  # the stuck CRM would take 30 s
    assert context.crm_unavailable and context.unavailable_reason == "no answer within 1 s"
    assert context.customer is not None and context.customer.name == "Ann Lee"  # found before the CRM hung
    assert context.priority_delta == 0 and context.queue is None  # our outage: no penalty

    pop = pop_of(context, queue="support", wait_seconds=12)
    assert pop.crm_unavailable and pop.notice is not None and "unavailable" in pop.notice
    assert pop.customer is not None and pop.customer.name == "Ann Lee" and pop.entitlement is None


async def test_given_known_caller_when_case_is_filed_twice_on_one_subject_then_the_second_call_joins_the_case(
    crm: BuiltinCrm,
) -> None:
    await crm.create_customer(ANN)
    service = service_for(crm)
    context = await service.identify(caller="020 7946 0958")

    first = await service.file_case("call-1", context, "Router")
    second = await service.file_case("call-2", await service.identify(caller="020 7946 0958"), "router")
    assert first is not None and second is not None
    await service.log_activity(
        second,
        Activity(channel="voice", started_at=NOW, interaction_id="call-2", talk_seconds=60, agent_id="alice"),
    )
    await service.update_case(second, disposition="resolved", status=CaseStatus.CLOSED)

    assert (first.attached, second.attached) == (False, True)
    assert first.case_id == second.case_id and second.case_id is not None
    case = await crm.get_case(second.case_id)
    assert case.status is CaseStatus.CLOSED and case.interaction_ids == ("call-1", "call-2")
    assert [a.agent_id for a in await crm.activities(case.id)] == ["alice"]


async def test_given_identified_caller_when_popped_then_pop_has_cases_and_ivr_data_but_no_secrets(
    crm: BuiltinCrm,
) -> None:
    ann = await crm.create_customer(ANN)
    await crm.open_case(NewCase(ann.id, "Invoice wrong"))
    service = service_for(crm)
    context = await service.identify(caller="020 7946 0958")
    case = await service.file_case("call-9", context, "Router")

    pop = pop_of(
        context_from_json(context_to_json(context)),  # as it travels with the interaction
        queue="support",
        wait_seconds=42.5,
        ivr={"caller": "+442079460958", "reason": "router", "pin": "1234", "customer.level": "premium"},
        sensitive={"pin"},
        intent="technical support",
        case=case,
        interaction_id="call-9",
    )

    data = pop.model_dump(mode="json")
    assert data["customer"]["account_number"] == "10023456"
    assert data["entitlement"]["level"] == "premium" and data["entitled"] is True
    assert [c["subject"] for c in data["open_cases"]] == ["Invoice wrong"]
    assert data["ivr"] == {"reason": "router"}
    assert data["case"]["attached"] is False and data["case"]["pending"] is False
    assert data["wait_seconds"] == 42.5 and data["intent"] == "technical support"


async def test_given_a_dialer_when_an_agent_clicks_a_national_number_then_the_dialer_gets_it_in_e164(
    crm: BuiltinCrm,
) -> None:
    dialed: list[DialRequest] = []

    class Dialer:
        async def dial(self, request: DialRequest) -> None:
            dialed.append(request)

    request = await service_for(crm, dialer=Dialer()).click_to_dial("alice", "020 7946 0958", case_id="c1")

    assert dialed == [request]
    assert request.number == "+442079460958" and request.agent_id == "alice" and request.case_id == "c1"


@pytest.mark.parametrize("timeout", [0, -1])
def test_given_a_non_positive_lookup_timeout_when_built_then_value_error_names_the_setting(
    timeout: float,
) -> None:
    with pytest.raises(ValueError, match="lookup_timeout_seconds"):
        CtiService(StuckCrm(None), lookup_timeout=timeout)  # type: ignore[arg-type]


class DeafCrm(StuckCrm):
    """A CRM whose client takes the caller's cancellation for its own timeout and asks again (as aiohttp
    may when both land together, under an adapter that retries after a timeout)."""

    async def find_customer(self, by: Lookup) -> CustomerMatch | None:
        with contextlib.suppress(asyncio.CancelledError):  # "my own timeout": not passed on
            await asyncio.sleep(30)
        await asyncio.sleep(30)  # the retry
        return None


async def test_given_a_crm_client_deaf_to_cancellation_when_identified_then_the_answer_still_keeps_the_budget(
    crm: BuiltinCrm,
) -> None:
    service = service_for(DeafCrm(crm), lookup_timeout=1.0)

    started = time.monotonic()
    context = await service.identify(caller="020 7946 0958")
    elapsed = time.monotonic() - started

    assert elapsed < 1.0 + 0.5  # the deaf client would hold the caller 30 s more
    assert context.crm_unavailable and context.unavailable_reason == "no answer within 1 s"
    assert context.customer is None


def pop_of(
    context: CallerContext,
    *,
    queue: str,
    wait_seconds: float,
    ivr: dict[str, str] | None = None,
    sensitive: set[str] | None = None,
    intent: str | None = None,
    case: CaseRef | None = None,
    interaction_id: str = "call-1",
) -> ScreenPop:
    """The pop as the gateway's CRM desk builds it, with the one builder."""
    return build_screen_pop(
        interaction_id,
        context,
        created_at=NOW,
        channel="voice",
        queue=queue,
        wait_seconds=wait_seconds,
        ivr=ivr or {},
        sensitive=sensitive or (),
        intent=intent,
        case=case,
    )
