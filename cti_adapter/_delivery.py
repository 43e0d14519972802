"""The outbox's delivery tasks: one loop per lane, head of line first, retrying with capped backoff; and
a periodic purge of the entries delivered longer ago than the retention."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Protocol

from cti_adapter._outbox import Backoff, EntryStatus, Lane, Outbox, OutboxEntry
from cti_adapter.builtin._db import Clock, utc_now
from cti_adapter.errors import CrmRejected, CrmUnavailable

__all__ = ["DEFAULT_RETENTION", "OutboxWorker", "Sender"]

logger = logging.getLogger("helpline.cti.outbox")

DEFAULT_BACKOFF = Backoff()
DEFAULT_RETENTION = timedelta(days=7)  # how long delivered entries stay, for a look at what was sent


class Sender(Protocol):
    """Delivers one entry; returns the receiver's id for what it created (a case id) or None.

    Raises CrmUnavailable to be retried later, CrmRejected when retrying would never help.
    `case_id` is the id an earlier entry's delivery produced, for entries written before it was known.
    """

    async def __call__(self, entry: OutboxEntry, case_id: str | None) -> str | None: ...


class OutboxWorker:
    """Drains the outbox lanes it has a sender for; `notify()` after an enqueue to send at once. Every
    `purge_every_seconds` it deletes the entries delivered more than `retention` ago."""

    def __init__(
        self,
        outbox: Outbox,
        senders: Mapping[Lane, Sender],
        *,
        backoff: Backoff = DEFAULT_BACKOFF,
        clock: Clock = utc_now,
        idle_poll_seconds: float = 30.0,
        retention: timedelta = DEFAULT_RETENTION,
        purge_every_seconds: float = 3600.0,
    ) -> None:
        if idle_poll_seconds <= 0:
            raise ValueError(f"outbox: idle_poll_seconds must be > 0, got {idle_poll_seconds}")
        if retention <= timedelta(0):
            raise ValueError(f"outbox: retention must be > 0, got {retention}")
        if purge_every_seconds <= 0:
            raise ValueError(f"outbox: purge_every_seconds must be > 0, got {purge_every_seconds}")
        self.outbox = outbox
        self._senders = dict(senders)
        self._backoff = backoff
        self._clock = clock
        self._idle = idle_poll_seconds
        self._retention = retention
        self._purge_every = purge_every_seconds
        self._wake = {lane: asyncio.Event() for lane in self._senders}
        self._waiters: dict[str, list[asyncio.Future[OutboxEntry]]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def handles(self, lane: Lane) -> bool:
        return lane in self._senders

    def notify(self, lane: Lane) -> None:
        if lane in self._wake:
            self._wake[lane].set()

    async def wait_settled(self, key: str, within: float) -> OutboxEntry | None:
        """The entry once delivered or dead, or None if that took longer than `within` seconds."""
        future: asyncio.Future[OutboxEntry] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(key, []).append(future)
        try:
            entry = await self.outbox.get(key)
            if entry is not None and entry.status is not EntryStatus.PENDING:
                return entry
            async with asyncio.timeout(within):
                return await asyncio.shield(future)
        except TimeoutError:
            return None
        finally:
            waiting = self._waiters.get(key, [])
            if future in waiting:
                waiting.remove(future)
            if not waiting:
                self._waiters.pop(key, None)

    async def deliver_due(self, lane: Lane) -> float | None:
        """Send the lane's due entries in order; return seconds until the head is due, None when empty."""
        send = self._senders[lane]
        while True:
            entry = await self.outbox.head(lane)
            if entry is None:
                return None
            wait = (entry.next_attempt_at - self._clock()).total_seconds()
            if wait > 0:
                return wait
            if not await self._attempt(entry, send):
                failed = await self.outbox.get(entry.key)
                return (failed.next_attempt_at - self._clock()).total_seconds() if failed else 0.0

    async def purge(self) -> int:
        """Delete the entries delivered longer ago than the retention; how many went."""
        removed = await self.outbox.purge_delivered(self._retention)
        if removed:
            logger.info("outbox: purged %d entries delivered more than %s ago", removed, self._retention)
        return removed

    def start(self) -> None:
        """Start one delivery task per lane and the purge (on the running loop; `stop()` ends them)."""
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._run(lane), name=f"cti-outbox-{lane}") for lane in self._senders
            ]
            self._tasks.append(asyncio.create_task(self._purge_periodically(), name="cti-outbox-purge"))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _attempt(self, entry: OutboxEntry, send: Sender) -> bool:
        """One delivery attempt; True when the lane may move on to the next entry."""
        try:
            case_id = await self._case_id(entry)
            result = await send(entry, case_id)
        except CrmRejected as exc:
            logger.error("outbox %s %s (%s): rejected, dropped: %s", entry.lane, entry.kind, entry.key, exc)
            await self.outbox.mark_dead(entry, str(exc))
        except CrmUnavailable as exc:
            await self._retry_later(entry, str(exc))
            return False
        except Exception as exc:
            logger.exception("outbox %s %s (%s): unexpected failure", entry.lane, entry.kind, entry.key)
            await self._retry_later(entry, f"{type(exc).__name__}: {exc}")
            return False
        else:
            await self.outbox.mark_delivered(entry, result)
        await self._settle(entry.key)
        return True

    async def _case_id(self, entry: OutboxEntry) -> str | None:
        if entry.case_key is None:
            return None
        source = await self.outbox.get(entry.case_key)
        if source is None or source.status is EntryStatus.DEAD or source.result_id is None:
            raise CrmRejected(0, f"the case this entry belongs to ({entry.case_key}) was never created")
        return source.result_id

    async def _retry_later(self, entry: OutboxEntry, error: str) -> None:
        delay = self._backoff.delay(entry.attempts + 1)
        logger.warning(
            "outbox %s %s (%s): attempt %d failed (%s), retrying in %.1f s",
            entry.lane,
            entry.kind,
            entry.key,
            entry.attempts + 1,
            error,
            delay,
        )
        await self.outbox.mark_failed(entry, error, delay)

    async def _settle(self, key: str) -> None:
        waiting = list(self._waiters.get(key, ()))
        if not waiting:
            return
        entry = await self.outbox.get(key)
        for future in waiting:
            if entry is not None and not future.done():
                future.set_result(entry)

    async def _run(self, lane: Lane) -> None:
        wake = self._wake[lane]
        while True:
            wake.clear()  # before delivering: a notify() arriving meanwhile is not lost
            try:
                wait = await self.deliver_due(lane)
            except CrmUnavailable as exc:  # our own database is down: wait and try again
                logger.warning("outbox %s: cannot read the outbox (%s)", lane, exc)
                wait = self._backoff.cap
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._idle if wait is None else max(wait, 0.0)):
                    await wake.wait()

    async def _purge_periodically(self) -> None:
        while True:
            try:
                await self.purge()
            except CrmUnavailable as exc:  # our own database is down: the next round will do it
                logger.warning("outbox: cannot purge delivered entries (%s)", exc)
            except Exception:
                logger.exception("outbox: purging delivered entries failed")
            await asyncio.sleep(self._purge_every)
