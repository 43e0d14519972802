"""CoreRunner: events reach the sink in order and timers fire from the background task."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from gateway.acd import Event, EventType, NotOffered, Presence, Router
from gateway.acd_server._runner import CoreRunner
from tests.unit.acd.helpers import T0, agent, call, queue

from ...clock import Clock


class Sink:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.arrived = asyncio.Event()

    async def __call__(self, events: Sequence[Event]) -> None:
        await asyncio.sleep(0)  # a real sink awaits I/O; order must survive it
        self.events.extend(events)
        self.arrived.set()

    async def wait_for(self, kind: EventType) -> None:
        async with asyncio.timeout(2):
            while kind not in [ev.type for ev in self.events]:
                self.arrived.clear()
                await self.arrived.wait()


def _service(clock: Clock, sink: Sink) -> CoreRunner:
    router = Router(queues=[queue("support", offer_timeout_seconds=10)], agents=[agent("a"), agent("b")])
    return CoreRunner(router, sink=sink, clock=clock)


async def test_given_commands_when_run_then_the_sink_gets_every_event_in_seq_order() -> None:
    clock, sink = Clock(T0), Sink()
    service = _service(clock, sink)
    results = await asyncio.gather(
        service.set_presence("a", Presence.available()),
        service.enqueue(call("c1")),
        service.enqueue(call("c2")),
    )
    assert [ev.seq for ev in sink.events] == list(range(1, len(sink.events) + 1))
    assert sum(len(r) for r in results) == len(sink.events)
    assert service.router.interaction("c1").agent_id == "a"  # type: ignore[union-attr]


async def test_given_ringing_offer_when_the_clock_passes_the_timeout_then_the_timer_task_times_it_out() -> (
    None
):
    clock, sink = Clock(T0), Sink()
    async with _service(clock, sink) as service:
        await service.set_presence("a", Presence.available())
        await service.enqueue(call("c1"))
        await asyncio.sleep(0.01)
        assert EventType.TIMED_OUT not in [ev.type for ev in sink.events]
        clock.now = T0 + 10
        service.wake()
        await sink.wait_for(EventType.TIMED_OUT)
    assert service.router.agent("a").presence == Presence.not_ready("missed")


async def test_given_started_service_when_stopped_then_the_task_ends_and_stop_is_idempotent() -> None:
    service = _service(Clock(T0), Sink())
    await service.start()
    task = service._task
    await service.stop()
    await service.stop()
    assert task is not None and task.done()


async def test_given_bad_command_when_called_then_it_raises_and_the_sink_hears_nothing() -> None:
    clock, sink = Clock(T0), Sink()
    service = _service(clock, sink)
    await service.enqueue(call("c1"))
    sink.events.clear()
    with pytest.raises(NotOffered):
        await service.accept("c1", "a")
    assert sink.events == []


async def test_given_failing_sink_when_a_timer_fires_then_the_loop_logs_and_keeps_running(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, sink = Clock(T0), Sink()
    service = _service(clock, sink)
    await service.set_presence("a", Presence.available())
    await service.enqueue(call("c1"))
    failed = asyncio.Event()

    async def flaky(events: Sequence[Event]) -> None:
        if not failed.is_set():
            failed.set()
            raise RuntimeError("bus down")
        await sink(events)

    service._sink = flaky
    async with service:
        clock.now = T0 + 10
        service.wake()
        async with asyncio.timeout(2):
            await failed.wait()
        await asyncio.sleep(0.01)  # let the timer task log
        assert any("routing tick failed" in r.message for r in caplog.records)
        await service.enqueue(call("c2"))  # b is offline, a is not ready: queued, delivered
        await sink.wait_for(EventType.QUEUED)
    assert service._task is None
