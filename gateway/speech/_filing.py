"""Recorded calls to transcripts: a `RecordingSink` in front of the gateway's own that, once a call's
caller and agent legs are both filed, hands them to the transcription service, and says when a transcript
is stored (the call's case activity then links it)."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from gateway.voice import TRANSCRIPT_FILE, RecordingInfo, RecordingKind, RecordingSink, transcript_url

from ._dialogue import Transcript
from ._transcription import LegFile, TranscriptionJob, TranscriptionService

__all__ = ["TRANSCRIPT_FILE", "TranscribingSink", "TranscriptStored", "transcript_url"]

logger = logging.getLogger("helpline.speech")

TranscriptStored = Callable[[str, str], Awaitable[None]]
"""`stored(interaction_id, url)`: the call's transcript is stored and served at `url`."""

_PENDING = 256  # caller legs waiting for their agent leg; a call no agent answered never gets one


class TranscribingSink:
    def __init__(
        self,
        inner: RecordingSink,
        transcriber: TranscriptionService,
        *,
        queue_of: Callable[[str], str | None],
        on_stored: TranscriptStored | None = None,
    ) -> None:
        self._inner, self._transcriber, self._queue_of = inner, transcriber, queue_of
        self._on_stored = on_stored
        self._callers: OrderedDict[str, RecordingInfo] = OrderedDict()
        self._telling: set[asyncio.Task[None]] = set()

    async def save(self, info: RecordingInfo) -> None:
        await self._inner.save(info)
        iid = info.interaction_id
        if iid is None:
            return
        if info.kind is RecordingKind.CALLER:
            self._callers[iid] = info
            while len(self._callers) > _PENDING:
                self._callers.popitem(last=False)
        elif info.kind is RecordingKind.AGENT and (caller := self._callers.pop(iid, None)) is not None:
            # waits while the backlog is full: this holds back the filing task, never the call
            done = await self._transcriber.submit(_job(iid, self._queue_of(iid), caller, info))
            done.add_done_callback(lambda finished: self._stored(iid, finished))

    def _stored(self, iid: str, done: asyncio.Future[Transcript]) -> None:
        if not _consumed(done) or self._on_stored is None:
            return  # failures are logged by the service
        task = asyncio.create_task(self._tell(iid, self._on_stored), name=f"helpline.speech.stored.{iid}")
        self._telling.add(task)
        task.add_done_callback(self._telling.discard)

    @staticmethod
    async def _tell(iid: str, stored: TranscriptStored) -> None:
        try:
            await stored(iid, transcript_url(iid))
        except Exception:
            logger.exception("interaction %s: the stored transcript could not be linked", iid)


def _consumed(done: asyncio.Future[Transcript]) -> bool:
    """Whether the transcript was stored (an exception is read, so asyncio does not log it again)."""
    return not done.cancelled() and done.exception() is None


def _job(iid: str, queue: str | None, caller: RecordingInfo, agent: RecordingInfo) -> TranscriptionJob:
    origin = min(caller.started_at, agent.started_at)
    legs = tuple(
        LegFile(str(leg.kind), leg.path, (leg.started_at - origin).total_seconds()) for leg in (caller, agent)
    )
    return TranscriptionJob(iid, queue, legs, caller.path.parent / TRANSCRIPT_FILE)
