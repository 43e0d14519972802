"""The built-in CRM on a real database (SQLite file, and PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from cti_adapter import (
    Activity,
    CaseNotFound,
    CaseStatus,
    CustomerNotFound,
    DuplicateCustomer,
    InvalidPhoneNumber,
    Lookup,
    LookupKind,
    NewCase,
)
from cti_adapter.builtin import (
    BuiltinCrm,
    CaseQuery,
    CustomerChanges,
    CustomerQuery,
    NewCustomer,
    NewEntitlement,
)

NOON = datetime(2024, 5, 1, 12, tzinfo=UTC)
ANN = NewCustomer(
    name="Ann Lee",
    phone="020 7946 0958",
    email="Ann.Lee@Example.com",
    account_number="10023456",
    company="Lee Logistics",
    entitlements=(NewEntitlement("premium", date(2024, 1, 1), date(2024, 12, 31), ("router",)),),
)


async def test_given_customer_when_found_by_phone_account_or_email_then_the_same_contact_comes_back(
    crm: BuiltinCrm,
) -> None:
    created = await crm.create_customer(ANN)

    by_phone = await crm.find_customer(Lookup.by_phone("+44 20 7946 0958", "GB"))
    by_account = await crm.find_customer(Lookup.by_account("10023456"))
    by_email = await crm.find_customer(Lookup.by_email("ann.lee@EXAMPLE.com"))

    assert created.phone == "+442079460958"
    assert created.email == "ann.lee@example.com"
    assert created.company == "Lee Logistics"
    assert by_phone is not None and by_phone.customer == created and by_phone.matched_by is LookupKind.PHONE
    assert by_account is not None and by_account.customer == created
    assert by_email is not None and by_email.customer == created


async def test_given_unknown_number_when_looked_up_then_none(crm: BuiltinCrm) -> None:
    await crm.create_customer(ANN)

    assert await crm.find_customer(Lookup.by_phone("020 7946 0000", "GB")) is None


async def test_given_two_contacts_on_one_account_when_looked_up_by_account_then_others_are_counted(
    crm: BuiltinCrm,
) -> None:
    ann = await crm.create_customer(ANN)
    bob = await crm.create_customer(
        NewCustomer(name="Bob Lee", phone="020 7946 0959", account_number="10023456")
    )

    match = await crm.find_customer(Lookup.by_account("10023456"))

    assert bob.account_id == ann.account_id
    assert match is not None and match.others == 1


async def test_given_existing_phone_when_another_customer_uses_it_then_duplicate_and_nothing_stored(
    crm: BuiltinCrm,
) -> None:
    await crm.create_customer(ANN)

    with pytest.raises(DuplicateCustomer) as raised:
        await crm.create_customer(
            NewCustomer(name="Someone Else", phone="+442079460958", account_number="999")
        )

    assert raised.value.field == "phone"
    assert await crm.find_customer(Lookup.by_account("999")) is None


async def test_given_bad_phone_when_customer_is_created_then_invalid_phone_number(crm: BuiltinCrm) -> None:
    with pytest.raises(InvalidPhoneNumber):
        await crm.create_customer(NewCustomer(name="Ann", phone="12"))


async def test_given_customer_when_updated_then_changes_are_kept_and_searchable(crm: BuiltinCrm) -> None:
    ann = await crm.create_customer(ANN)

    updated = await crm.update_customer(ann.id, CustomerChanges(phone="020 7946 0000", company="Lee & Co"))
    found = await crm.search_customers(CustomerQuery(text="lee &"))

    assert updated.phone == "+442079460000" and updated.company == "Lee & Co" and updated.name == "Ann Lee"
    assert [c.id for c in found] == [ann.id]
    assert await crm.search_customers(CustomerQuery(phone="020 7946 0958")) == []


async def test_given_unknown_customer_when_read_then_customer_not_found(crm: BuiltinCrm) -> None:
    with pytest.raises(CustomerNotFound):
        await crm.get_customer("nope")


async def test_given_entitlement_for_router_when_checked_then_router_is_covered_in_dates_only(
    crm: BuiltinCrm,
) -> None:
    ann = await crm.create_customer(ANN)

    covered = await crm.entitlement(ann.id, "router", NOON)
    other_product = await crm.entitlement(ann.id, "tv", NOON)
    expired = await crm.entitlement(ann.id, "router", datetime(2025, 1, 1, tzinfo=UTC))

    assert covered is not None and covered.level == "premium" and covered.products == ("router",)
    assert other_product is None
    assert expired is None


async def test_given_no_open_case_when_attached_then_a_case_is_opened(crm: BuiltinCrm) -> None:
    ann = await crm.create_customer(ANN)

    result = await crm.attach_case(NewCase(ann.id, "Router keeps rebooting", interaction_id="call-1"))

    assert result.attached is False
    assert result.case.status is CaseStatus.OPEN
    assert result.case.interaction_ids == ("call-1",)
    assert [c.id for c in await crm.open_cases(ann.id)] == [result.case.id]


async def test_given_open_case_on_same_subject_when_attached_then_the_call_joins_it(crm: BuiltinCrm) -> None:
    ann = await crm.create_customer(ANN)
    first = await crm.attach_case(NewCase(ann.id, "Router keeps rebooting", interaction_id="call-1"))

    second = await crm.attach_case(
        NewCase(ann.id, "  router KEEPS rebooting ", interaction_id="call-2", priority=5)
    )

    assert second.attached is True
    assert second.case.id == first.case.id
    assert second.case.interaction_ids == ("call-1", "call-2")
    assert second.case.priority == 5


async def test_given_closed_case_on_same_subject_when_attached_then_a_new_case_is_opened(
    crm: BuiltinCrm,
) -> None:
    ann = await crm.create_customer(ANN)
    first = await crm.attach_case(NewCase(ann.id, "Billing", interaction_id="call-1"))
    await crm.update_case(first.case.id, status=CaseStatus.CLOSED, disposition="resolved")

    second = await crm.attach_case(NewCase(ann.id, "Billing", interaction_id="call-2"))

    assert second.attached is False and second.case.id != first.case.id


async def test_given_concurrent_attaches_on_one_subject_then_exactly_one_case_holds_every_call(
    crm: BuiltinCrm,
) -> None:
    ann = await crm.create_customer(ANN)

    results = await asyncio.gather(
        *(crm.attach_case(NewCase(ann.id, "Outage", interaction_id=f"call-{i}")) for i in range(5))
    )

    assert len({r.case.id for r in results}) == 1
    [case] = await crm.open_cases(ann.id)
    assert sorted(case.interaction_ids) == [f"call-{i}" for i in range(5)]


async def test_given_case_when_activity_is_logged_then_it_is_listed_with_every_timing(
    crm: BuiltinCrm,
) -> None:
    ann = await crm.create_customer(ANN)
    case = (await crm.attach_case(NewCase(ann.id, "Billing", interaction_id="call-1"))).case
    activity = Activity(
        channel="voice",
        started_at=NOON,
        interaction_id="call-2",
        wait_seconds=12.5,
        talk_seconds=180,
        hold_seconds=20,
        wrap_up_seconds=30,
        queue="billing",
        agent_id="alice",
        disposition="resolved",
        notes="refund issued",
        recording_url="https://helpline.example/recordings/call-2.wav",
        transcript_url="https://helpline.example/transcripts/call-2",
    )

    await crm.log_activity(case.id, activity)

    assert await crm.activities(case.id) == [activity]
    assert (await crm.get_case(case.id)).interaction_ids == ("call-1", "call-2")


async def test_given_unknown_case_when_activity_is_logged_then_case_not_found(crm: BuiltinCrm) -> None:
    with pytest.raises(CaseNotFound):
        await crm.log_activity("nope", Activity(channel="voice", started_at=NOON))


async def test_given_cases_when_searched_by_customer_and_status_then_only_matching_cases(
    crm: BuiltinCrm,
) -> None:
    ann = await crm.create_customer(ANN)
    billing = (await crm.open_case(NewCase(ann.id, "Billing question"))).id
    outage = (await crm.open_case(NewCase(ann.id, "Outage"))).id
    await crm.update_case(outage, status=CaseStatus.PENDING, notes="waiting on engineer")

    pending = await crm.search_cases(CaseQuery(customer_id=ann.id, status=CaseStatus.PENDING))
    billing_text = await crm.search_cases(CaseQuery(text="BILLING"))

    assert [c.id for c in pending] == [outage]
    assert pending[0].notes == "waiting on engineer"
    assert [c.id for c in billing_text] == [billing]
