"""The REST adapter, outbox and webhooks against a fake CRM on loopback that is slow, fails and comes back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest

from cti_adapter import (
    Activity,
    Backoff,
    CallerContext,
    CaseRef,
    CaseStatus,
    CtiService,
    Lane,
    Outbox,
    OutboxWorker,
    build_screen_pop,
)
from cti_adapter.external import CaseWriteSender, RestCrm, WebhookSender
from cti_adapter.pop import ScreenPop
from gateway.storage import Database
from tests.integration.cti_adapter.fake_crm import FakeCrm
from tests.unit.cti_adapter.conftest import engine_of

LOOKUP_BUDGET = 5.0  # real HTTP and database round trips on a loaded VM
SHORT_BUDGET = 1.0  # for the test that times a slow CRM out (it would take 5 s)
ANN_PHONE = "+442079460958"
STARTED = datetime(2025, 6, 1, 10, tzinfo=UTC)


@pytest.fixture
async def fake_crm() -> AsyncIterator[FakeCrm]:
    crm = FakeCrm()
    crm.add_customer("ann", "Ann Lee", ANN_PHONE, level="premium")
    await crm.start()
    yield crm
    await crm.stop()


@pytest.fixture
async def rest(fake_crm: FakeCrm) -> AsyncIterator[RestCrm]:
    client = RestCrm(fake_crm.base_url, token="t0ken", timeout=1.0)
    yield client
    await client.close()


@pytest.fixture
async def worker(database: Database, rest: RestCrm, fake_crm: FakeCrm) -> AsyncIterator[OutboxWorker]:
    hooks = WebhookSender(f"{fake_crm.base_url}/hooks", fake_crm.webhook_secret, timeout=1.0)
    worker = OutboxWorker(
        Outbox(lambda: engine_of(database)),
        {Lane.CRM: CaseWriteSender(rest), Lane.WEBHOOK: hooks},
        backoff=Backoff(first=0.05, cap=0.2),
    )
    worker.start()
    yield worker
    await worker.stop()
    await hooks.close()


@pytest.fixture
def service(rest: RestCrm, worker: OutboxWorker) -> CtiService:
    return CtiService(rest, worker, lookup_timeout=LOOKUP_BUDGET, default_region="GB")


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {within} s")
        await asyncio.sleep(0.05)


def activity(interaction_id: str) -> Activity:
    return Activity(
        channel="voice",
        started_at=STARTED,
        interaction_id=interaction_id,
        wait_seconds=8,
        talk_seconds=95,
        hold_seconds=10,
        wrap_up_seconds=20,
        queue="support",
        agent_id="alice",
        disposition="resolved",
        recording_url=f"https://helpline.example/rec/{interaction_id}.wav",
    )


async def test_given_a_healthy_crm_when_a_caller_is_identified_then_customer_and_premium_priority_come_back(
    service: CtiService,
) -> None:
    context = await service.identify(caller="020 7946 0958")

    assert context.customer is not None and context.customer.name == "Ann Lee"
    assert context.entitlement is not None and context.entitlement.level == "premium"
    assert context.priority_delta == 10 and not context.crm_unavailable


@pytest.mark.parametrize("mode", ["slow", "fail"])
async def test_given_a_slow_or_failing_crm_when_a_caller_is_identified_then_the_answer_is_on_time_and_says_so(
    rest: RestCrm, worker: OutboxWorker, fake_crm: FakeCrm, mode: str
) -> None:
    service = CtiService(rest, worker, lookup_timeout=SHORT_BUDGET, default_region="GB")
    fake_crm.mode = mode

    started = time.monotonic()
    context = await service.identify(caller="020 7946 0958")
    elapsed = time.monotonic() - started
    pop = _support_pop(context)

    assert elapsed < SHORT_BUDGET + 0.5  # the slow CRM would take 5 s
    assert context.crm_unavailable and context.customer is None
    assert pop.crm_unavailable and pop.caller == ANN_PHONE and pop.notice is not None
    await asyncio.sleep(SHORT_BUDGET)  # a retry after the timeout would be on its way by now
    assert fake_crm.paths.count("/customers") == (1 if mode == "slow" else 2)  # a server error is retried


async def test_given_a_crm_failing_once_when_a_caller_is_identified_then_the_lookup_retries_and_finds_them(
    service: CtiService, fake_crm: FakeCrm
) -> None:
    fake_crm.failures_left = 1

    context = await service.identify(caller=ANN_PHONE)

    assert context.customer is not None and context.customer.name == "Ann Lee"
    assert not context.crm_unavailable
    assert fake_crm.paths.count("/customers") == 2


async def test_given_a_crm_that_is_down_when_calls_are_filed_then_every_write_lands_once_it_is_back(
    service: CtiService, fake_crm: FakeCrm, worker: OutboxWorker
) -> None:
    context = await service.identify(caller=ANN_PHONE)  # known while the CRM is up
    await fake_crm.stop()

    first = await service.file_case("call-1", context, "Router")
    assert first is not None and first.pending and first.key is not None
    await service.log_activity(first, activity("call-1"))
    await service.update_case(first, disposition="resolved", notes="rebooted", status=CaseStatus.PENDING)
    second = await service.file_case("call-2", context, "router")
    assert second is not None
    await service.log_activity(second, activity("call-2"))
    await asyncio.sleep(0.5)  # several failed attempts while it is down
    assert await worker.outbox.pending(Lane.CRM) == 5

    await fake_crm.start()
    await eventually(lambda: _pending_is_zero(worker))

    [case] = fake_crm.cases.values()
    assert case["interaction_ids"] == ["call-1", "call-2"]
    assert (case["status"], case["disposition"], case["notes"]) == ("pending", "resolved", "rebooted")
    assert [a["interaction_id"] for a in fake_crm.activities[case["id"]]] == ["call-1", "call-2"]


async def test_given_a_calls_transcript_stored_later_when_linked_then_its_activity_gets_the_link_in_order(
    service: CtiService, fake_crm: FakeCrm, worker: OutboxWorker
) -> None:
    context = await service.identify(caller=ANN_PHONE)
    await fake_crm.stop()  # the link waits in the outbox behind the activity it changes
    case = await service.file_case("call-1", context, "Router")
    assert case is not None
    await service.log_activity(case, activity("call-1"))

    await service.link_transcript(case, "call-1", "/api/v1/interactions/call-1/transcript")
    await fake_crm.start()
    await eventually(lambda: _pending_is_zero(worker))
    await eventually(lambda: _pending_is_zero(worker, Lane.WEBHOOK))

    [stored] = fake_crm.cases.values()
    [logged] = fake_crm.activities[stored["id"]]
    assert logged["transcript_url"] == "/api/v1/interactions/call-1/transcript"
    assert logged["recording_url"] == "https://helpline.example/rec/call-1.wav"
    kinds = [hook["type"] for hook in fake_crm.webhooks]
    assert kinds[-2:] == ["case.activity_logged", "case.activity_updated"]


async def test_given_answers_lost_on_the_way_back_when_writes_are_retried_then_the_crm_keeps_one_of_each(
    service: CtiService, fake_crm: FakeCrm, worker: OutboxWorker
) -> None:
    context = await service.identify(caller=ANN_PHONE)
    fake_crm.mode = "lose_answers"  # the CRM does the work, Helpline never hears so

    case = await service.file_case("call-1", context, "Billing")
    assert case is not None
    await service.log_activity(case, activity("call-1"))
    await eventually(lambda: _attempted_twice(fake_crm))
    fake_crm.mode = "ok"
    await eventually(lambda: _pending_is_zero(worker))

    [stored] = fake_crm.cases.values()
    assert [a["interaction_id"] for a in fake_crm.activities[stored["id"]]] == ["call-1"]
    assert stored["interaction_ids"] == ["call-1"]
    assert fake_crm.replayed_keys  # the retries were recognised by their keys


async def test_given_webhooks_when_cti_events_happen_then_each_arrives_signed_and_verifiable(
    service: CtiService, fake_crm: FakeCrm, worker: OutboxWorker
) -> None:
    context = await service.identify(caller=ANN_PHONE)
    case = await service.file_case("call-1", context, "Router")
    assert case is not None and case.case_id is not None  # the CRM was up: confirmed within the budget
    pop = _support_pop(context, case)
    await service.publish("screen_pop", pop.model_dump(mode="json"))  # as the gateway's CRM desk does
    await service.log_activity(case, activity("call-1"))

    await eventually(lambda: _pending_is_zero(worker, Lane.WEBHOOK))

    assert [e["type"] for e in fake_crm.webhooks] == [
        "caller.identified",
        "case.filed",
        "screen_pop",
        "case.activity_logged",
    ]
    assert fake_crm.bad_signatures == 0
    pop = fake_crm.webhooks[2]["data"]
    assert pop["customer"]["name"] == "Ann Lee" and pop["case"]["id"] == case.case_id


async def _pending_is_zero(worker: OutboxWorker, lane: Lane = Lane.CRM) -> bool:
    return await worker.outbox.pending(lane) == 0


async def _attempted_twice(fake_crm: FakeCrm) -> bool:
    return len(fake_crm.replayed_keys) >= 1 or fake_crm.requests >= 6


def _support_pop(context: CallerContext, case: CaseRef | None = None) -> ScreenPop:
    """The pop of a support call, as the gateway's CRM desk builds it (the one builder)."""
    return build_screen_pop(
        "call-1",
        context,
        created_at=datetime.now(UTC),
        channel="voice",
        queue="support",
        wait_seconds=3,
        ivr={},
        sensitive=(),
        intent=None,
        case=case,
    )
