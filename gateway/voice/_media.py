"""What the voice service asks of the media workers: prompts, music, recorders, bridges, timers.

Every call here goes through the pool to the worker carrying the call. A worker that went away is not an
error at this level (its calls are being reported lost): the send is dropped and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from gateway.ivr import Play as PlayVerb
from gateway.ivr import Prompt
from gateway.sip import (
    Bridge,
    Command,
    Hangup,
    ListenStart,
    ListenStop,
    Play,
    RecordStart,
    RecordStop,
    StopPlay,
    Unbridge,
    WorkerPool,
    WorkerUnavailableError,
)
from gateway.voice._prompts import PromptCache
from gateway.voice._session import Leg, Playing, Session
from gateway.voice.errors import PromptError

__all__ = ["Media", "PromptReady", "TimerFired", "TimerKind"]

logger = logging.getLogger("helpline.voice")


class TimerKind(StrEnum):
    DIGITS = "digits"  # the caller stopped keying
    VOICEMAIL = "voicemail"  # the message reached its maximum length
    ANNOUNCE = "announce"  # time for the next position / wait announcement


@dataclass(frozen=True, slots=True)
class TimerFired:
    key: str
    token: int
    kind: TimerKind


@dataclass(frozen=True, slots=True)
class PromptReady:
    """A spoken prompt finished rendering (`path` None: it could not be rendered)."""

    key: str
    token: int
    path: Path | None


class Media:
    def __init__(
        self,
        pool: WorkerPool,
        prompts: PromptCache,
        post: Callable[[object], None],
        *,
        rate: int,
        media_root: Path | None,
        music_on_hold: Path | None,
    ) -> None:
        self._pool = pool
        self.prompts = prompts
        self._post = post
        self.rate = rate
        self._media_root = media_root
        self._music_on_hold = music_on_hold
        self._renders: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        for task in list(self._renders):
            task.cancel()
        for task in list(self._renders):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def send(self, worker_id: int, command: Command) -> bool:
        """Send `command`; False if the worker is gone (its calls are reported lost separately)."""
        try:
            await self._pool.send(worker_id, command)
        except WorkerUnavailableError:
            logger.warning("media worker %d is unavailable: %s dropped", worker_id, command.TYPE)
            return False
        return True

    def pick_worker(self, fallback: int) -> int:
        """The ready worker with the most free call slots (`fallback` if none is ready)."""
        ready = [w for w in self._pool.status() if w.ready and w.active < w.limit]
        if not ready:
            return fallback
        return max(ready, key=lambda w: (w.limit - w.active, -w.worker_id)).worker_id

    def has_room(self, worker_id: int) -> bool:
        """The worker is ready and has a call slot free (every leg takes one, a supervisor's too)."""
        return any(w.worker_id == worker_id and w.ready and w.active < w.limit for w in self._pool.status())

    # --- prompts and music ------------------------------------------------------------------------

    async def prompt(self, session: Session, prompt: Prompt, playing: Playing = Playing.PROMPT) -> None:
        """Start an IVR prompt: a file now, or speech once rendered (a `PromptReady` follows)."""
        if isinstance(prompt, PlayVerb):
            await self.play(session, self.resolve(prompt.file), playing)
        else:
            self.say(session, prompt.text, playing, voice=prompt.voice)

    def say(self, session: Session, text: str, playing: Playing, *, voice: str | None = None) -> None:
        token = session.next_media(playing)
        task = asyncio.create_task(self._render(session.key, token, text, voice))
        self._renders.add(task)
        task.add_done_callback(self._renders.discard)

    async def _render(self, key: str, token: int, text: str, voice: str | None) -> None:
        try:
            path: Path | None = await self.prompts.say(text, self.rate, voice=voice)
        except PromptError:
            logger.exception("prompt could not be rendered for call %s", key)
            path = None
        self._post(PromptReady(key, token, path))

    async def play(self, session: Session, path: Path, playing: Playing, *, loop: bool = False) -> None:
        session.next_media(playing)
        await self.play_current(session, path, loop=loop)

    async def play_current(self, session: Session, path: Path, *, loop: bool = False) -> None:
        """Play for the media already started (e.g. a rendered prompt) without a new token."""
        if session.caller_call is not None:
            await self.send(session.worker_id, Play(call_id=session.caller_call, file=str(path), loop=loop))

    async def music(self, session: Session) -> None:
        path = session.music or self._music_on_hold or await self.prompts.music_on_hold(self.rate)
        session.music = path
        await self.play(session, path, Playing.MUSIC, loop=True)

    async def beep(self, session: Session) -> None:
        await self.play(session, await self.prompts.beep(self.rate), Playing.BEEP)

    async def stop(self, session: Session) -> None:
        if session.playing is not Playing.NOTHING and session.caller_call is not None:
            session.next_media(Playing.NOTHING)
            await self.send(session.worker_id, StopPlay(call_id=session.caller_call))
        session.playing = Playing.NOTHING

    def resolve(self, file: str) -> Path:
        """A flow's file name: relative ones are under `media_root` (else the worker's working folder)."""
        path = Path(file)
        return path if path.is_absolute() or self._media_root is None else self._media_root / path

    def set_music(self, session: Session, file: str | None) -> None:
        session.music = self.resolve(file) if file else None

    # --- timers -----------------------------------------------------------------------------------

    def arm(self, session: Session, seconds: float, kind: TimerKind) -> None:
        session.cancel_timer()
        fired = TimerFired(session.key, session.timer_token, kind)
        session.timer = asyncio.get_running_loop().call_later(seconds, self._post, fired)

    def arm_announcement(self, session: Session, seconds: float) -> None:
        session.cancel_announcements()
        fired = TimerFired(session.key, 0, TimerKind.ANNOUNCE)
        session.announce = asyncio.get_running_loop().call_later(seconds, self._post, fired)

    # --- recorders, bridges, hang-ups -------------------------------------------------------------

    async def record_caller(self, session: Session) -> None:
        if session.caller_call is None or session.tape.caller.recording:
            return
        path = session.tape.caller.open(session.tape.folder, self.offset(session))
        await self.send(session.worker_id, RecordStart(call_id=session.caller_call, path=str(path)))

    async def pause_caller(self, session: Session) -> None:
        if session.caller_call is None or not session.tape.caller.recording:
            return
        session.tape.caller.close()
        await self.send(session.worker_id, RecordStop(call_id=session.caller_call))

    async def pause_leg(self, session: Session, leg: Leg) -> None:
        if leg.call_id is None or not session.tape.agent.recording:
            return
        session.tape.agent.close()
        await self.send(leg.worker_id, RecordStop(call_id=leg.call_id))

    async def record_leg(self, session: Session, leg: Leg) -> None:
        if leg.call_id is None:
            return
        session.tape.agent.close()
        path = session.tape.agent.open(session.tape.folder, self.offset(session))
        await self.send(leg.worker_id, RecordStart(call_id=leg.call_id, path=str(path)))

    async def record_voicemail(self, session: Session, path: Path) -> None:
        if session.caller_call is None:
            return
        session.tape.caller.close()  # one recorder per call: the call's own recording stops here
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        session.voicemail, session.voicemail_at = path, datetime.now(UTC)
        await self.send(session.worker_id, RecordStart(call_id=session.caller_call, path=str(path)))

    async def stop_voicemail(self, session: Session) -> None:
        if session.caller_call is not None:
            await self.send(session.worker_id, RecordStop(call_id=session.caller_call))

    async def listen(self, session: Session, path: Path) -> None:
        """Have the worker write what the caller says to `path` (a speech menu is listening)."""
        if session.caller_call is not None:
            await self.send(session.worker_id, ListenStart(call_id=session.caller_call, path=str(path)))

    async def stop_listening(self, session: Session) -> None:
        if session.caller_call is not None:
            await self.send(session.worker_id, ListenStop(call_id=session.caller_call))

    async def bridge(self, session: Session, leg: Leg) -> None:
        if session.caller_call is not None and leg.call_id is not None:
            await self.send(session.worker_id, Bridge(call_a=session.caller_call, call_b=leg.call_id))

    async def unbridge(self, session: Session, leg: Leg) -> None:
        if session.caller_call is not None and leg.call_id is not None:
            await self.send(session.worker_id, Unbridge(call_a=session.caller_call, call_b=leg.call_id))

    async def hang_up_caller(self, session: Session) -> None:
        if session.caller_call is not None:
            await self.send(session.worker_id, Hangup(call_id=session.caller_call))

    async def hang_up_leg(self, leg: Leg) -> None:
        """Cancel a ringing leg or end a connected one; a leg not dialled yet is hung up on `dialing`."""
        leg.cancelled = True
        if leg.call_id is not None:
            await self.send(leg.worker_id, Hangup(call_id=leg.call_id))

    def offset(self, session: Session) -> float:
        return asyncio.get_running_loop().time() - session.origin
