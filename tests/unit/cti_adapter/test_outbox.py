"""The outbox on a real database with a fake clock: order, capped exponential backoff, dead entries."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cti_adapter._delivery import OutboxWorker
from cti_adapter._outbox import Backoff, EntryStatus, Lane, Outbox, OutboxEntry
from cti_adapter.errors import CrmRejected, CrmUnavailable
from gateway.storage import Database
from tests.unit.cti_adapter.conftest import engine_of

START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Receiver:
    """A CRM that fails while `down`, and records what it accepted, by idempotency key."""

    def __init__(self) -> None:
        self.down = False
        self.reject: set[str] = set()
        self.accepted: list[tuple[str, str, str | None]] = []
        self.attempts = 0

    async def __call__(self, entry: OutboxEntry, case_id: str | None) -> str | None:
        self.attempts += 1
        if self.down:
            raise CrmUnavailable("HTTP 500")
        if entry.kind in self.reject:
            raise CrmRejected(422, "no such customer")
        self.accepted.append((entry.key, entry.kind, case_id))
        return f"case-for-{entry.key}" if entry.kind == "attach_case" else None


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def outbox(database: Database, clock: Clock) -> Outbox:
    return Outbox(lambda: engine_of(database), clock=clock)


def test_given_backoff_when_failures_pile_up_then_delays_double_from_half_a_second_up_to_the_cap() -> None:
    backoff = Backoff(first=0.5, cap=60)

    assert [backoff.delay(n) for n in range(1, 10)] == [0.5, 1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff.delay(10_000) == 60


def test_given_a_cap_below_the_first_delay_when_built_then_value_error_names_the_fields() -> None:
    with pytest.raises(ValueError, match="cap"):
        Backoff(first=5, cap=1)


async def test_given_crm_down_when_delivering_then_attempts_back_off_exponentially_and_nothing_is_lost(
    outbox: Outbox, clock: Clock
) -> None:
    receiver = Receiver()
    receiver.down = True
    worker = OutboxWorker(outbox, {Lane.CRM: receiver}, backoff=Backoff(first=0.5, cap=4), clock=clock)
    entry = await outbox.enqueue(Lane.CRM, "attach_case", {"subject": "Billing"})

    waits = []
    for _ in range(6):
        wait = await worker.deliver_due(Lane.CRM)
        assert wait is not None
        waits.append(wait)
        assert await worker.deliver_due(Lane.CRM) == pytest.approx(wait)  # not due: no new attempt
        clock.advance(wait)

    assert waits == [0.5, 1, 2, 4, 4, 4]
    assert receiver.attempts == 6
    stored = await outbox.get(entry.key)
    assert stored is not None and stored.status is EntryStatus.PENDING and stored.attempts == 6
    assert stored.last_error is not None and "HTTP 500" in stored.last_error

    receiver.down = False
    assert await worker.deliver_due(Lane.CRM) is None
    assert receiver.accepted == [(entry.key, "attach_case", None)]
    assert await outbox.pending() == 0


async def test_given_entries_in_order_when_delivered_then_order_is_kept_and_later_entries_get_the_case_id(
    outbox: Outbox, clock: Clock
) -> None:
    receiver = Receiver()
    worker = OutboxWorker(outbox, {Lane.CRM: receiver}, clock=clock)
    case = await outbox.enqueue(Lane.CRM, "attach_case", {"subject": "Billing"})
    activity = await outbox.enqueue(Lane.CRM, "log_activity", {"activity": {}}, case_key=case.key)

    await worker.deliver_due(Lane.CRM)

    assert receiver.accepted == [
        (case.key, "attach_case", None),
        (activity.key, "log_activity", f"case-for-{case.key}"),
    ]


async def test_given_a_rejected_case_when_delivering_then_it_and_its_activities_die_and_the_lane_moves_on(
    outbox: Outbox, clock: Clock
) -> None:
    receiver = Receiver()
    receiver.reject = {"attach_case"}
    worker = OutboxWorker(outbox, {Lane.CRM: receiver}, clock=clock)
    case = await outbox.enqueue(Lane.CRM, "attach_case", {"subject": "Billing"})
    activity = await outbox.enqueue(Lane.CRM, "log_activity", {"activity": {}}, case_key=case.key)
    other = await outbox.enqueue(Lane.CRM, "update_case", {"case_id": "c9"})

    assert await worker.deliver_due(Lane.CRM) is None

    dead_case, dead_activity = await outbox.get(case.key), await outbox.get(activity.key)
    assert (
        dead_case is not None
        and dead_case.status is EntryStatus.DEAD
        and "no such customer" in (dead_case.last_error or "")
    )
    assert dead_activity is not None and dead_activity.status is EntryStatus.DEAD
    assert receiver.accepted == [(other.key, "update_case", None)]


async def test_given_the_same_key_enqueued_twice_then_one_entry_is_stored(outbox: Outbox) -> None:
    first = await outbox.enqueue(Lane.WEBHOOK, "screen_pop", {"n": 1}, key="k1")
    second = await outbox.enqueue(Lane.WEBHOOK, "screen_pop", {"n": 2}, key="k1")

    assert second == first and second.payload == {"n": 1}
    assert await outbox.pending(Lane.WEBHOOK) == 1


async def test_given_two_lanes_when_one_is_down_then_the_other_still_delivers(
    outbox: Outbox, clock: Clock
) -> None:
    crm, hooks = Receiver(), Receiver()
    crm.down = True
    worker = OutboxWorker(outbox, {Lane.CRM: crm, Lane.WEBHOOK: hooks}, clock=clock)
    await outbox.enqueue(Lane.CRM, "attach_case", {})
    hook = await outbox.enqueue(Lane.WEBHOOK, "screen_pop", {})

    await worker.deliver_due(Lane.CRM)
    await worker.deliver_due(Lane.WEBHOOK)

    assert hooks.accepted == [(hook.key, "screen_pop", None)]
    assert await outbox.pending(Lane.CRM) == 1


# --- purging what was delivered ---------------------------------------------------------------------------


async def _delivered(outbox: Outbox, worker: OutboxWorker, kind: str, **extra: str) -> OutboxEntry:
    entry = await outbox.enqueue(Lane.CRM, kind, {}, **extra)
    await worker.deliver_due(Lane.CRM)
    stored = await outbox.get(entry.key)
    assert stored is not None and stored.status is EntryStatus.DELIVERED
    return stored


DAY = timedelta(days=1).total_seconds()


async def test_given_entries_of_every_kind_when_purged_then_only_the_old_delivered_ones_go(
    outbox: Outbox, clock: Clock
) -> None:
    receiver = Receiver()
    worker = OutboxWorker(outbox, {Lane.CRM: receiver}, clock=clock, retention=timedelta(days=7))
    old = await _delivered(outbox, worker, "update_case")
    receiver.reject = {"attach_case"}
    dead = await outbox.enqueue(Lane.CRM, "attach_case", {})
    await worker.deliver_due(Lane.CRM)
    clock.advance(6 * DAY)
    recent = await _delivered(outbox, worker, "update_case")
    receiver.down = True
    waiting = await outbox.enqueue(Lane.CRM, "update_case", {})
    await worker.deliver_due(Lane.CRM)
    clock.advance(2 * DAY)

    assert await worker.purge() == 1

    assert await outbox.get(old.key) is None
    kept = {key: await outbox.get(key) for key in (dead.key, recent.key, waiting.key)}
    assert {key: e.status if e else None for key, e in kept.items()} == {
        dead.key: EntryStatus.DEAD,
        recent.key: EntryStatus.DELIVERED,
        waiting.key: EntryStatus.PENDING,
    }
    assert await worker.purge() == 0


async def test_given_an_old_case_a_pending_activity_needs_when_purged_then_it_stays_until_the_activity_lands(
    outbox: Outbox, clock: Clock
) -> None:
    receiver = Receiver()
    worker = OutboxWorker(outbox, {Lane.CRM: receiver}, clock=clock, retention=timedelta(days=7))
    case = await _delivered(outbox, worker, "attach_case")
    receiver.down = True
    activity = await outbox.enqueue(Lane.CRM, "log_activity", {}, case_key=case.key)
    await worker.deliver_due(Lane.CRM)
    clock.advance(8 * DAY)

    assert await worker.purge() == 0
    receiver.down = False
    assert await worker.deliver_due(Lane.CRM) is None
    assert receiver.accepted[-1] == (activity.key, "log_activity", f"case-for-{case.key}")
    assert await worker.purge() == 1
    assert await outbox.get(case.key) is None


async def test_given_a_running_worker_when_delivered_entries_age_then_its_schedule_purges_them(
    outbox: Outbox, clock: Clock
) -> None:
    worker = OutboxWorker(outbox, {Lane.CRM: Receiver()}, clock=clock, purge_every_seconds=0.05)
    entry = await _delivered(outbox, worker, "update_case")
    clock.advance(8 * DAY)  # past the default retention of 7 days

    worker.start()
    try:
        async with asyncio.timeout(10):
            while await outbox.get(entry.key) is not None:
                await asyncio.sleep(0.05)
    finally:
        await worker.stop()


@pytest.mark.parametrize(
    ("options", "field"),
    [({"retention": timedelta(0)}, "retention"), ({"purge_every_seconds": 0}, "purge_every_seconds")],
)
def test_given_a_purge_option_out_of_range_when_built_then_value_error_names_it(
    outbox: Outbox, options: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        OutboxWorker(outbox, {}, **options)
