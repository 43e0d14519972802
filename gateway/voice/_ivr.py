"""Running a caller's IVR flow: each `FlowRun` action becomes worker commands, each worker event an input.

Digits barge in on a `collect` or `menu` prompt; the time-out runs from the prompt's end and again
from each digit. A sensitive `collect` stops the caller's recorder for its duration (the gap becomes
silence when the recording is assembled). Speech prompts render in the background: the prompt starts
when `PromptReady` arrives. A menu with `speech:` keywords, or a `collect` with `speech:` (keywords, or
`digits`), also listens when a speech recogniser is given (and its model loaded): the caller's first
words barge in, and what was heard is the input (an option, a value, the digits said).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from gateway.acd import CustomerContext
from gateway.ivr import (
    Action,
    CallerHungUp,
    CollectDigits,
    End,
    Hangup,
    Input,
    IvrError,
    LookupCustomer,
    LookupResult,
    MediaDone,
    PauseRecording,
    Play,
    RecordVoicemail,
    ResumeRecording,
    Say,
    SpeechRecognized,
    StartQueue,
    TransferCall,
)
from gateway.logs import bind_interaction
from gateway.voice._at_rest import private_dirs
from gateway.voice._digits import DigitBuffer
from gateway.voice._listening import SpeechHeard, SpeechListener, SpeechStarted
from gateway.voice._media import Media, TimerKind
from gateway.voice._session import Phase, Playing, Session
from gateway.voice._trail import IvrTrail

__all__ = ["CustomerLookup", "IvrDriver", "QueueEntrance", "TransferDialer"]

logger = logging.getLogger("helpline.voice")

CustomerLookup = Callable[[str, str], Awaitable[tuple[Mapping[str, str], CustomerContext]]]
"""`lookup(by, value)`: the customer's attributes for the flow (empty when nobody matched) and the whole
context, which travels with the call's interactions (e.g. from the CTI adapter)."""


class QueueEntrance(Protocol):
    async def enter(self, session: Session, start: StartQueue) -> None: ...


class TransferDialer(Protocol):
    async def dial_transfer(self, session: Session, uri: str) -> None: ...


class IvrDriver:
    def __init__(
        self,
        media: Media,
        *,
        recordings_dir: Path,
        lookup: CustomerLookup | None = None,
        listener: SpeechListener | None = None,
        trail: IvrTrail | None = None,
    ) -> None:
        self._media = media
        self._trail = trail
        self._recordings_dir = recordings_dir
        self._lookup = lookup
        self._listener = listener
        self._listens = itertools.count(1)
        self._queue: QueueEntrance | None = None
        self._transfer: TransferDialer | None = None

    def bind(self, queue: QueueEntrance, transfer: TransferDialer) -> None:
        self._queue, self._transfer = queue, transfer

    async def start(self, session: Session) -> None:
        action = session.run.start()
        if self._trail is not None:
            await self._trail.saw(session, None, action)
        await self.perform(session, action)

    async def feed(self, session: Session, event: Input) -> None:
        """Answer the flow's pending action; the flow's next action is performed at once."""
        if session.run.finished:
            return
        if isinstance(event, CallerHungUp):
            await self._stop_listening(session)
        try:
            action = session.run.feed(event)
        except IvrError:
            logger.exception("call %s: the flow refused %r", session.key, event)
            return
        if self._trail is not None:
            await self._trail.saw(session, event, action)
        await self.perform(session, action)

    async def perform(self, session: Session, action: Action) -> None:
        session.action = action
        if isinstance(action, Say | Play):
            await self._media.prompt(session, action)
        elif isinstance(action, CollectDigits):
            session.buffer = DigitBuffer(action)
            await self._listen(session, action)
            await self._media.prompt(session, action.prompt)
        elif isinstance(action, PauseRecording | ResumeRecording):
            await self._recording(session, action)
        elif isinstance(action, LookupCustomer):
            await self.feed(session, LookupResult(await self._find(session, action)))
        elif isinstance(action, RecordVoicemail):
            await self._voicemail(session, action)
        elif isinstance(action, StartQueue | TransferCall):
            await self._hand_over(session, action)
        elif isinstance(action, Hangup):
            await self._media.hang_up_caller(session)
        elif isinstance(action, End):
            session.action = None

    # --- what the caller does -----------------------------------------------------------------------

    async def prompt_ended(self, session: Session) -> None:
        action = session.action
        if isinstance(action, CollectDigits):
            self._media.arm(session, action.timeout_seconds, TimerKind.DIGITS)
        elif isinstance(action, Say | Play):
            await self.feed(session, MediaDone())
        elif isinstance(action, RecordVoicemail):
            await self._before_recording(session, action)

    async def beep_ended(self, session: Session) -> None:
        if isinstance(session.action, RecordVoicemail):
            await self._start_recording(session, session.action)

    async def digit(self, session: Session, digit: str) -> None:
        if isinstance(session.action, RecordVoicemail) and session.voicemail is not None and digit == "#":
            await self.finish_voicemail(session)
            return
        buffer = session.buffer
        if buffer is None:
            return
        if session.playing is Playing.PROMPT:
            await self._media.stop(session)  # barge-in
        result = buffer.feed(digit)
        if result is None:
            self._media.arm(session, buffer.timeout, TimerKind.DIGITS)
            return
        await self._collected(session, result)

    async def timer(self, session: Session, kind: TimerKind) -> None:
        if kind is TimerKind.DIGITS and session.buffer is not None:
            await self._collected(session, session.buffer.expire())
        elif kind is TimerKind.VOICEMAIL:
            await self.finish_voicemail(session)

    async def heard(self, session: Session, report: SpeechStarted | SpeechHeard) -> None:
        """The recogniser's report on what the caller is saying to the menu waiting now."""
        if session.listening != report.listen_id or session.buffer is None:
            return  # a late report for an input already complete
        if isinstance(report, SpeechStarted):
            session.cancel_timer()  # the caller is answering: no "no input" now, the result will follow
            if session.playing is Playing.PROMPT:
                logger.info("call %s: the caller speaks over the prompt: it stops (barge-in)", session.key)
                await self._media.stop(session)
            return
        latency = time.time() - report.speech_ended
        logger.info(
            "call %s: the speech menu heard %r %.0f ms after the caller stopped speaking (recognised: %s)",
            session.key,
            report.text,
            latency * 1000,
            report.scored or "nothing",
        )
        await self._collected(session, SpeechRecognized(report.text))
        if self._listener is not None:
            self._listener.decided(latency)

    async def _collected(self, session: Session, result: Input) -> None:
        session.buffer = None
        session.cancel_timer()
        await self._stop_listening(session)
        await self.feed(session, result)

    async def _listen(self, session: Session, action: CollectDigits) -> None:
        listener = self._listener
        if not action.speech or listener is None or not listener.ready or session.caller_call is None:
            return  # DTMF only
        listen_id = f"{session.key}-{next(self._listens)}"
        path = listener.folder / f"{listen_id}.wav"
        session.listening = listen_id
        started = time.time()
        await self._media.listen(session, path)
        await listener.listen(listen_id, path, action.speech, started, number=action.number)

    async def _stop_listening(self, session: Session) -> None:
        listen_id, session.listening = session.listening, None
        if listen_id is None or self._listener is None:
            return
        await self._media.stop_listening(session)
        await self._listener.stop(listen_id)

    # --- actions ----------------------------------------------------------------------------------

    async def _recording(self, session: Session, action: PauseRecording | ResumeRecording) -> None:
        if isinstance(action, PauseRecording):
            await self._media.pause_caller(session)
        else:
            await self._media.record_caller(session)
        await self.feed(session, MediaDone())

    async def _find(self, session: Session, action: LookupCustomer) -> Mapping[str, str]:
        if self._lookup is None:
            return {}
        try:
            attributes, session.customer = await self._lookup(action.by, action.value)
            return attributes
        except Exception:
            logger.exception("call %s: customer lookup failed; continuing as unknown", session.key)
            return {}

    async def _hand_over(self, session: Session, action: StartQueue | TransferCall) -> None:
        assert self._queue is not None and self._transfer is not None, "IvrDriver.bind() was not called"
        if isinstance(action, StartQueue):
            await self._queue.enter(session, action)
        else:
            await self._transfer.dial_transfer(session, action.uri)

    # --- voicemail --------------------------------------------------------------------------------

    async def _voicemail(self, session: Session, action: RecordVoicemail) -> None:
        session.phase = Phase.VOICEMAIL
        session.voicemail_queue = action.queue or (session.queue.queue if session.queue else None)
        if action.prompt is not None:
            await self._media.prompt(session, action.prompt)
        else:
            await self._before_recording(session, action)

    async def _before_recording(self, session: Session, action: RecordVoicemail) -> None:
        if action.beep:
            await self._media.beep(session)
        else:
            await self._start_recording(session, action)

    async def _start_recording(self, session: Session, action: RecordVoicemail) -> None:
        owner = session.interaction_id or f"voicemail-{session.key}"
        folder = self._recordings_dir / datetime.now(UTC).strftime("%Y/%m/%d") / owner
        with bind_interaction(session.interaction_id):
            logger.info("call %s: recording a voicemail of at most %.0f s", session.key, action.max_seconds)
        await asyncio.to_thread(private_dirs, self._recordings_dir, folder)
        await self._media.record_voicemail(session, folder / "voicemail.wav")
        self._media.arm(session, action.max_seconds, TimerKind.VOICEMAIL)

    async def finish_voicemail(self, session: Session) -> None:
        """The message is complete (maximum length, '#', or the caller hung up)."""
        session.cancel_timer()
        if session.caller_call is not None:
            await self._media.stop_voicemail(session)
        await self.feed(session, MediaDone())
