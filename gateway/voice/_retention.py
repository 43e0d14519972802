"""Recording retention: a background job deletes recordings older than their queue's retention period.

Each purge deletes the file, marks the recording purged (playback then answers 410), marks the case
activities that link to it expired, and is logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.storage import Database, RecordingRecord, StorageError

__all__ = ["ExpireLink", "RecordingRetention", "recording_url"]

logger = logging.getLogger("helpline.voice")

ExpireLink = Callable[[str], Awaitable[int]]
"""Marks the case activities linking to a purged recording's URL expired; returns how many."""

_BATCH = 100


def recording_url(recording_id: str) -> str:
    """Where REST serves a recording, the link case activities carry."""
    return f"/api/v1/recordings/{recording_id}"


class RecordingRetention:
    def __init__(
        self,
        database: Database,
        *,
        retention_days: Mapping[str, float],
        every_seconds: float = 3600.0,
        expire_link: ExpireLink | None = None,
    ) -> None:
        if every_seconds <= 0:
            raise ValueError("recording retention: every_seconds must be > 0")
        for queue, days in retention_days.items():
            if days <= 0:
                raise ValueError(f"queue {queue!r}: recording_retention_days must be > 0")
        self._db = database
        self._retention = dict(retention_days)
        self._every = every_seconds
        self._expire_link = expire_link
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._retention and self._task is None:
            self._task = asyncio.create_task(self._run(), name="helpline.voice.retention")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def purge(self, now: datetime | None = None) -> int:
        """Purge every recording past its queue's retention at `now`; returns how many."""
        now = now or datetime.now(UTC)
        purged = 0
        for queue, days in self._retention.items():
            while batch := await self._db.recordings_past(queue, now - timedelta(days=days), _BATCH):
                for record in batch:
                    await self._purge_one(record, queue, days, now)
                purged += len(batch)
        return purged

    async def _run(self) -> None:
        while True:
            try:
                await self.purge()
            except StorageError as exc:  # the database is down: try again next round
                logger.warning("recording retention: purge postponed: %s", exc)
            except OSError:
                logger.exception("recording retention: a recording could not be deleted; trying next round")
            await asyncio.sleep(self._every)

    async def _purge_one(self, record: RecordingRecord, queue: str, days: float, now: datetime) -> None:
        await asyncio.to_thread(Path(record.path).unlink, missing_ok=True)
        await self._db.mark_recording_purged(record.id, now)
        expired = await self._expire_link(recording_url(record.id)) if self._expire_link is not None else 0
        logger.info(
            "recording %s (%s) of interaction %s purged: queue %s keeps recordings %g days; "
            "%d case activity link(s) marked expired",
            record.id,
            record.kind,
            record.interaction_id,
            queue,
            days,
            expired,
        )
