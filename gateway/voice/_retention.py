"""Recording retention: a background job deletes recordings older than their queue's retention period.

Each purge deletes the file and the call's transcript beside it, marks the recording purged (playback then
answers 410), marks the case activities that link to the recording or the transcript expired, and is logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.storage import Database, RecordingRecord, StorageError
from gateway.voice._at_rest import SEALED_SUFFIX

__all__ = ["TRANSCRIPT_FILE", "ExpireLink", "RecordingRetention", "recording_url", "transcript_url"]

logger = logging.getLogger("helpline.voice")

ExpireLink = Callable[[str], Awaitable[int]]
"""Marks the case activities linking to a purged recording's (or transcript's) URL expired: how many."""

TRANSCRIPT_FILE = "transcript.json"  # a call's transcript, beside its recordings (sealed: + SEALED_SUFFIX)

_BATCH = 100


def recording_url(recording_id: str) -> str:
    """Where REST serves a recording, the link case activities carry."""
    return f"/api/v1/recordings/{recording_id}"


def transcript_url(interaction_id: str) -> str:
    """Where REST serves a call's transcript (`gateway.speech.http`), the link case activities carry."""
    return f"/api/v1/interactions/{interaction_id}/transcript"


class RecordingRetention:
    def __init__(
        self,
        database: Database,
        *,
        retention_days: Mapping[str, float],
        every_seconds: float = 3600.0,
        expire_link: ExpireLink | None = None,
        expire_transcript: ExpireLink | None = None,
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
        self._expire_transcript = expire_transcript
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
        path = Path(record.path)
        await asyncio.to_thread(path.unlink, missing_ok=True)
        # The transcript is made of the call's recordings: it goes with the first of them.
        transcripts = await asyncio.to_thread(_remove_transcript, path.parent)
        await self._db.mark_recording_purged(record.id, now)
        expired = await self._expire_link(recording_url(record.id)) if self._expire_link is not None else 0
        if self._expire_transcript is not None and record.interaction_id is not None:
            expired += await self._expire_transcript(transcript_url(record.interaction_id))
        logger.info(
            "recording %s (%s) of interaction %s purged%s: queue %s keeps recordings %g days; "
            "%d case activity link(s) marked expired",
            record.id,
            record.kind,
            record.interaction_id,
            " with the call's transcript" if transcripts else "",
            queue,
            days,
            expired,
        )


def _remove_transcript(folder: Path) -> int:
    removed = 0
    for name in (TRANSCRIPT_FILE, TRANSCRIPT_FILE + SEALED_SUFFIX):
        with suppress(FileNotFoundError):
            (folder / name).unlink()
            removed += 1
    return removed
