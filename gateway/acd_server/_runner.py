"""`CoreRunner`: the asyncio shell around the pure routing core.

It reads the clock, calls the `Router`, hands the produced events to an async sink in order, and runs a
background task that sleeps until `Router.next_deadline()` and ticks. Everything runs on the event loop
thread, so the core needs no lock; only sink deliveries are serialised to keep event order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType

from gateway.acd import Event, IvrStep, NewInteraction, Presence, Router, SupervisorAction

__all__ = ["Clock", "CoreRunner", "EventSink"]

logger = logging.getLogger("helpline.acd")

EventSink = Callable[[Sequence[Event]], Awaitable[None]]
Clock = Callable[[], float]


class CoreRunner:
    def __init__(self, router: Router, *, sink: EventSink, clock: Clock = time.time) -> None:
        self.router = router
        self._sink = sink
        self._clock = clock
        self._wake = asyncio.Event()
        self._deliver = asyncio.Lock()  # FIFO: batches reach the sink in the order the core produced them
        self._task: asyncio.Task[None] | None = None

    # -- commands (mirror Router) ---------------------------------------------------------------------

    async def enqueue(self, new: NewInteraction) -> list[Event]:
        return await self._publish(self.router.enqueue(new, self._clock()))

    async def set_presence(self, agent_id: str, presence: Presence, *, by: str | None = None) -> list[Event]:
        return await self._publish(self.router.set_presence(agent_id, presence, self._clock(), by=by))

    async def move(self, interaction_id: str, queue_id: str, *, by: str) -> list[Event]:
        return await self._publish(self.router.move(interaction_id, queue_id, self._clock(), by=by))

    async def offer_to(self, interaction_id: str, agent_id: str, *, by: str) -> list[Event]:
        return await self._publish(self.router.offer_to(interaction_id, agent_id, self._clock(), by=by))

    async def accept(self, interaction_id: str, agent_id: str) -> list[Event]:
        return await self._publish(self.router.accept(interaction_id, agent_id, self._clock()))

    async def reject(self, interaction_id: str, agent_id: str) -> list[Event]:
        return await self._publish(self.router.reject(interaction_id, agent_id, self._clock()))

    async def end(
        self, interaction_id: str, reason: str = "completed", *, hold_seconds: float = 0.0
    ) -> list[Event]:
        return await self._publish(
            self.router.end(interaction_id, self._clock(), reason, hold_seconds=hold_seconds)
        )

    async def abandon(self, interaction_id: str) -> list[Event]:
        return await self._publish(self.router.abandon(interaction_id, self._clock()))

    async def drop(self, interaction_id: str, reason: str) -> list[Event]:
        return await self._publish(self.router.drop(interaction_id, reason, self._clock()))

    async def record_action(self, action: SupervisorAction) -> list[Event]:
        return await self._publish(self.router.record_action(action, self._clock()))

    async def record_ivr(self, steps: Sequence[IvrStep]) -> list[Event]:
        return await self._publish(self.router.record_ivr(steps, self._clock()))

    async def tick(self) -> list[Event]:
        return await self._publish(self.router.tick(self._clock()))

    def wake(self) -> None:
        """Re-read the next deadline now (called after every command; call it when the clock jumps)."""
        self._wake.set()

    # -- background timer task --------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name="helpline.acd.timers")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def __aenter__(self) -> CoreRunner:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def run(self) -> None:
        """Tick whenever the earliest deadline is due; sleep until then or until woken."""
        while True:
            deadline = self.router.next_deadline()
            delay = None if deadline is None else deadline - self._clock()
            if delay is not None and delay <= 0:
                await self._tick_logged()
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def _tick_logged(self) -> None:
        try:
            await self.tick()
        except Exception:
            # one bad sink delivery must not stop offer timeouts for everyone; the events are in the store
            logger.exception("routing tick failed")
            await asyncio.sleep(0.1)  # avoid a hot loop if the failure repeats

    async def _publish(self, events: list[Event]) -> list[Event]:
        self._wake.set()
        if events:
            async with self._deliver:
                await self._sink(events)
        return events
