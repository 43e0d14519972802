"""Recorded calls to transcripts: a `RecordingSink` in front of the gateway's own that, once a call's
caller and agent legs are both filed, hands them to the transcription service."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable

from gateway.voice import RecordingInfo, RecordingKind, RecordingSink

from ._dialogue import Transcript
from ._transcription import LegFile, TranscriptionJob, TranscriptionService

__all__ = ["TRANSCRIPT_FILE", "TranscribingSink"]

TRANSCRIPT_FILE = "transcript.json"  # beside caller.wav and agent.wav
_PENDING = 256  # caller legs waiting for their agent leg; a call no agent answered never gets one


class TranscribingSink:
    def __init__(
        self,
        inner: RecordingSink,
        transcriber: TranscriptionService,
        *,
        queue_of: Callable[[str], str | None],
    ) -> None:
        self._inner, self._transcriber, self._queue_of = inner, transcriber, queue_of
        self._callers: OrderedDict[str, RecordingInfo] = OrderedDict()

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
            done.add_done_callback(_consumed)  # failures are logged by the service; nobody awaits this


def _consumed(done: asyncio.Future[Transcript]) -> None:
    if not done.cancelled():
        done.exception()


def _job(iid: str, queue: str | None, caller: RecordingInfo, agent: RecordingInfo) -> TranscriptionJob:
    origin = min(caller.started_at, agent.started_at)
    legs = tuple(
        LegFile(str(leg.kind), leg.path, (leg.started_at - origin).total_seconds()) for leg in (caller, agent)
    )
    return TranscriptionJob(iid, queue, legs, caller.path.parent / TRANSCRIPT_FILE)
