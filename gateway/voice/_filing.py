"""Filing a finished call's recordings: assemble the legs, describe the files, announce them to the sink.

Assembly runs in an executor (it reads and writes whole WAV files and runs sox); the call's scratch
folder is removed afterwards. Recordings of calls that never reached a queue are not kept, except a
voicemail. Files land under `<recordings>/<yyyy>/<mm>/<dd>/<interaction>/`, owner-only, and encrypted
(`*.wav.enc`) when a recordings key is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import wave
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from gateway.logs import bind_interaction
from gateway.voice._at_rest import RecordingsAtRest, private_dirs
from gateway.voice._recording import (
    RecordingInfo,
    RecordingKind,
    RecordingSink,
    assemble_call,
    describe,
    discard,
)
from gateway.voice._session import Session
from gateway.voice.errors import RecordingError

__all__ = ["RecordingClerk", "VoicemailDesk"]

logger = logging.getLogger("helpline.voice")


VoicemailDesk = Callable[[Session, RecordingInfo], Awaitable[str | None]]
"""Turns a filed voicemail into routable work; returns the work item's id (the recording is filed under it),
or None when it could not (no queue for it)."""


class RecordingClerk:
    def __init__(
        self,
        recordings_dir: Path,
        sink: RecordingSink,
        *,
        at_rest: RecordingsAtRest,
        voicemails: VoicemailDesk | None = None,
    ) -> None:
        self._dir = recordings_dir
        self._at_rest = at_rest
        self._sink = sink
        self._voicemails = voicemails
        self._tasks: set[asyncio.Task[None]] = set()

    def file(self, session: Session) -> None:
        """Start filing in the background (the call is over: the worker has closed every recorder)."""
        task = asyncio.create_task(self._file(session), name=f"helpline.voice.recordings.{session.key}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, grace: float) -> None:
        """Wait (bounded) for the filing in progress, then give up on what is left."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _file(self, session: Session) -> None:
        iid = session.recorded_for
        with bind_interaction(iid):
            try:
                infos = await asyncio.to_thread(self._assemble, session)
            except (OSError, RecordingError, EOFError, wave.Error):
                logger.exception("call %s: its recordings could not be assembled", session.key)
                infos = []
            finally:
                await asyncio.to_thread(discard, session.tape.folder)
            for info in infos:
                try:
                    if info.kind is RecordingKind.VOICEMAIL and self._voicemails is not None:
                        work = await self._voicemails(session, info)
                        info = replace(info, interaction_id=work or info.interaction_id)
                    await self._sink.save(info)
                except Exception:
                    logger.exception("call %s: the recording sink refused %s", session.key, info.path)

    def _assemble(self, session: Session) -> list[RecordingInfo]:
        infos: list[RecordingInfo] = []
        iid = session.recorded_for
        if iid is not None and not session.lost:
            folder = self._dir / session.tape.started_at.strftime("%Y/%m/%d") / iid
            private_dirs(self._dir, folder)
            infos += assemble_call(session.tape, folder, iid)
        voicemail = session.voicemail
        if voicemail is not None and voicemail.is_file() and voicemail.stat().st_size > 44:
            at = session.voicemail_at or session.tape.started_at
            infos.append(describe(voicemail, RecordingKind.VOICEMAIL, iid, at, caller=session.caller_id))
        # Described (size, duration, fingerprint) as recorded, then kept owner-only and sealed with a key.
        return [
            replace(_with_caller(info, session.caller_id), path=self._at_rest.keep(info.path))
            for info in infos
        ]


def _with_caller(info: RecordingInfo, caller: str) -> RecordingInfo:
    return info if info.caller else replace(info, caller=caller)
