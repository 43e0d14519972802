"""The gateway's side of a bridged recorded session, with the worker commands the voice layer uses.

Each inbound call is answered and recorded; an agent leg is dialled in the same worker (`MakeCall`) to the
agents' phones; once it is connected it is recorded and bridged to the caller. When either side hangs up,
the other is hung up. After the step every session is checked: both legs connected, both recordings
exist and carry sound, and their stereo mix (`sox -M`, as the gateway makes it) carries sound on both
channels.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import shutil
import subprocess
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

from bench.sip._ivr import MAX_EXAMPLES, WorkerClient
from bench.sip._measure import Seen, children_cpu_seconds
from gateway.sip._protocol import (
    Answer,
    Bridge,
    CallState,
    Dialing,
    Disconnected,
    ErrorEvent,
    Event,
    Hangup,
    Incoming,
    MakeCall,
    RecordStart,
    State,
)

__all__ = ["BridgedController", "loudness"]

logger = logging.getLogger("helpline.sip.bench")

_SILENCE_RMS = 100.0
"""Below this RMS (16-bit samples) a recording counts as silent; a leg with no audio records zeros."""
_MIN_SECONDS = 1.0
_SOX_TIMEOUT = 60.0


@dataclass(slots=True)
class _Session:
    worker_id: int
    caller: str
    folder: Path
    agent: str | None = None
    agent_failed: bool = False
    caller_confirmed: bool = False
    agent_confirmed: bool = False
    caller_ended: bool = False
    agent_ended: bool = False

    @property
    def caller_wav(self) -> Path:
        return self.folder / f"{self.caller}-caller.wav"

    @property
    def agent_wav(self) -> Path:
        return self.folder / f"{self.caller}-agent.wav"

    @property
    def done(self) -> bool:
        return self.caller_ended and (self.agent_ended or self.agent_failed or self.agent is None)


class BridgedController(WorkerClient):
    def __init__(self, agent_uri: str, recordings: Path) -> None:
        super().__init__()
        self._agent_uri = agent_uri
        self._recordings = recordings
        self._serials = itertools.count(1)
        self._calls: dict[tuple[int, str], _Session] = {}
        self._dialling: dict[str, _Session] = {}
        self._finished: list[_Session] = []
        self.reset()

    def reset(self) -> None:
        self.not_answered = 0
        self.refused = 0
        self.errors = 0
        self._finished = []

    @property
    def active(self) -> int:
        return len({id(session) for session in self._calls.values()}) + len(self._dialling)

    async def on_event(self, worker_id: int, event: Event) -> None:
        self.note(worker_id, event)
        match event:
            case Incoming():
                await self._incoming(worker_id, event)
            case Dialing():
                await self._dialing(worker_id, event)
            case State(state=CallState.CONFIRMED):
                await self._confirmed(worker_id, event.call_id)
            case Disconnected():
                await self._disconnected(worker_id, event.call_id)
            case ErrorEvent() if event.command_id in self._dialling:
                session = self._dialling.pop(event.command_id)
                session.agent_failed = True
                await self.send(worker_id, Hangup(call_id=session.caller))
            case _:
                pass

    async def _incoming(self, worker_id: int, event: Incoming) -> None:
        folder = self._recordings / str(worker_id)
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        session = _Session(worker_id, event.call_id, folder)
        self._calls[(worker_id, event.call_id)] = session
        await self.send(worker_id, Answer(call_id=event.call_id))
        command_id = f"agent-{next(self._serials)}"
        self._dialling[command_id] = session
        await self.send(worker_id, MakeCall(uri=self._agent_uri, command_id=command_id))

    async def _dialing(self, worker_id: int, event: Dialing) -> None:
        session = self._dialling.pop(event.command_id, None)
        if session is None:
            return
        session.agent = event.call_id
        self._calls[(worker_id, event.call_id)] = session
        if session.caller_ended:
            await self.send(worker_id, Hangup(call_id=event.call_id))

    async def _confirmed(self, worker_id: int, call_id: str) -> None:
        session = self._calls.get((worker_id, call_id))
        if session is None:
            return
        if call_id == session.caller:
            session.caller_confirmed = True
            await self.send(worker_id, RecordStart(call_id=call_id, path=str(session.caller_wav)))
            return
        session.agent_confirmed = True
        await self.send(worker_id, RecordStart(call_id=call_id, path=str(session.agent_wav)))
        await self.send(worker_id, Bridge(call_a=session.caller, call_b=call_id))

    async def _disconnected(self, worker_id: int, call_id: str) -> None:
        session = self._calls.pop((worker_id, call_id), None)
        if session is None:
            return
        if call_id == session.caller:
            session.caller_ended = True
            if session.agent is not None and not session.agent_ended:
                await self.send(worker_id, Hangup(call_id=session.agent))
        else:
            session.agent_ended = True
            if not session.caller_ended:
                await self.send(worker_id, Hangup(call_id=session.caller))
        if session.done:
            self._finished.append(session)

    async def on_lost(self, worker_id: int, call_ids: tuple[str, ...]) -> None:
        logger.warning("media worker %d died with %d call(s) up", worker_id, len(call_ids))
        for call_id in call_ids:
            self._calls.pop((worker_id, call_id), None)
        for command_id in [c for c, session in self._dialling.items() if session.worker_id == worker_id]:
            del self._dialling[command_id]

    async def outcome(self, restarts: int) -> Seen:
        answered = [s for s in self._finished if s.caller_confirmed]
        self.not_answered = len(self._finished) - len(answered)
        sox = shutil.which("sox")
        if sox is None:
            raise RuntimeError("`sox` is not installed: the bridged bench mixes recordings with it")
        before = children_cpu_seconds()
        faults = await asyncio.to_thread(lambda: [_check(s, sox) for s in answered])
        mix_cpu = children_cpu_seconds() - before
        failed = [fault for fault in faults if fault]
        return Seen(
            answered=len(answered), sessions_failed=len(failed), not_answered=self.not_answered,
            refused=self.refused, errors=self.errors, restarts=restarts, missed=failed[:MAX_EXAMPLES],
            extra_cpu_seconds=mix_cpu,
        )  # fmt: skip


def _check(session: _Session, sox: str) -> str:
    """What is wrong with a finished session ("" if nothing); its recordings are deleted afterwards."""
    stereo = session.folder / f"{session.caller}-stereo.wav"
    try:
        if not session.agent_confirmed:
            return f"{session.caller}: the agent leg never connected"
        for wav in (session.caller_wav, session.agent_wav):
            if (fault := _audible(wav, 1)) != "":
                return fault
        mixed = subprocess.run(
            [sox, "-M", str(session.caller_wav), str(session.agent_wav), str(stereo)],
            capture_output=True, timeout=_SOX_TIMEOUT, check=False,
        )  # fmt: skip
        if mixed.returncode != 0:
            return f"{stereo.name}: sox failed: {mixed.stderr.decode(errors='replace').strip()}"
        return _audible(stereo, 2)
    finally:
        for wav in (session.caller_wav, session.agent_wav, stereo):
            wav.unlink(missing_ok=True)


def _audible(path: Path, channels: int) -> str:
    if not path.is_file():
        return f"{path.name}: missing"
    levels = loudness(path)
    if len(levels) != channels or min(levels, default=0.0) < _SILENCE_RMS:
        return f"{path.name}: silent (RMS {', '.join(f'{level:.0f}' for level in levels)})"
    return ""


def loudness(path: Path) -> list[float]:
    """RMS of each channel of a 16-bit WAV; an empty list if it is shorter than a second or not 16-bit."""
    with wave.open(str(path), "rb") as reader:
        channels, width, rate = reader.getnchannels(), reader.getsampwidth(), reader.getframerate()
        frames = reader.readframes(reader.getnframes())
    samples = array("h", frames) if width == 2 else array("h")
    if len(samples) < _MIN_SECONDS * rate * channels:
        return []
    return [_rms(samples[channel::channels]) for channel in range(channels)]


def _rms(samples: array[int]) -> float:
    return math.sqrt(sum(sample * sample for sample in samples) / len(samples)) if samples else 0.0
