"""Call recordings: per-leg segments written by the media worker, assembled after the call.

A leg is recorded as segments: recording stops while the caller keys something sensitive and starts
again in a new file afterwards. Each segment keeps the offset (seconds since the call was answered) at
which it started, so assembly puts it back at that instant and fills the gap with silence of the exact
length: the timeline of the finished file is the timeline of the call. The stereo file (caller left,
agent right) is merged by `sox -M` from the two legs aligned on the call's start.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import uuid
import wave
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from gateway.voice.errors import RecordingError

__all__ = [
    "CallTape",
    "RecordingInfo",
    "RecordingKind",
    "RecordingSink",
    "Segment",
    "Track",
    "assemble_call",
    "describe",
    "discard",
]

_SOX_TIMEOUT = 120.0
_COPY_FRAMES = 16000


class RecordingKind(StrEnum):
    CALLER = "caller"
    AGENT = "agent"
    STEREO = "stereo"
    VOICEMAIL = "voicemail"


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingInfo:
    """One finished recording file and what a listener or an auditor needs to know about it.

    `interaction_id` is None only for a voicemail left before the call ever reached a queue.
    """

    interaction_id: str | None
    kind: RecordingKind
    path: Path
    started_at: datetime
    duration_s: float
    size: int
    sha256: str
    caller: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)  # the recording's id wherever it is stored


class RecordingSink(Protocol):
    """Where finished recordings are announced (the lead stores them in the database)."""

    async def save(self, info: RecordingInfo) -> None: ...


@dataclass(frozen=True, slots=True)
class Segment:
    path: Path
    offset: float  # seconds since the call was answered


@dataclass(slots=True)
class Track:
    """The segments of one leg, in order; at most the last one is still being written."""

    name: str
    segments: list[Segment] = field(default_factory=list)
    recording: bool = False

    def open(self, folder: Path, offset: float) -> Path:
        path = folder / f"{self.name}-{len(self.segments) + 1:03d}.wav"
        self.segments.append(Segment(path, offset))
        self.recording = True
        return path

    def close(self) -> None:
        self.recording = False


@dataclass(slots=True)
class CallTape:
    """Everything recorded on one call: the caller track and the agents' track (all agent legs)."""

    folder: Path  # where segments are written while the call lasts
    started_at: datetime  # wall-clock time of offset 0
    caller: Track = field(default_factory=lambda: Track("caller"))
    agent: Track = field(default_factory=lambda: Track("agent"))


def assemble_call(
    tape: CallTape, destination: Path, interaction_id: str, *, sox: str = "sox"
) -> list[RecordingInfo]:
    """Write caller.wav, agent.wav and stereo.wav into `destination`; blocking, run it in an executor."""
    destination.mkdir(parents=True, exist_ok=True)
    results: list[RecordingInfo] = []
    caller = _usable(tape.caller.segments)
    agent = _usable(tape.agent.segments)
    if caller:
        path = destination / "caller.wav"
        _lay(caller, path, origin=caller[0].offset)
        results.append(describe(path, RecordingKind.CALLER, interaction_id, _at(tape, caller[0])))
    if agent:
        path = destination / "agent.wav"
        _lay(agent, path, origin=agent[0].offset)
        results.append(describe(path, RecordingKind.AGENT, interaction_id, _at(tape, agent[0])))
    if caller and agent:
        results.append(_stereo(tape, caller, agent, destination, interaction_id, sox))
    return results


def describe(
    path: Path, kind: RecordingKind, interaction_id: str | None, started_at: datetime, caller: str = ""
) -> RecordingInfo:
    """Size, duration and SHA-256 of a finished WAV; blocking."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            digest.update(block)
    with wave.open(str(path), "rb") as reader:
        duration = reader.getnframes() / reader.getframerate()
    return RecordingInfo(
        interaction_id=interaction_id,
        kind=kind,
        path=path,
        started_at=started_at,
        duration_s=round(duration, 3),
        size=path.stat().st_size,
        sha256=digest.hexdigest(),
        caller=caller,
    )


def discard(folder: Path) -> None:
    """Remove a call's scratch folder (its segments are assembled or not wanted)."""
    shutil.rmtree(folder, ignore_errors=True)


def _at(tape: CallTape, segment: Segment) -> datetime:
    return tape.started_at + timedelta(seconds=segment.offset)


def _usable(segments: Sequence[Segment]) -> list[Segment]:
    """Segments whose file exists and holds a WAV header (a recorder that never got audio leaves none)."""
    return [s for s in segments if s.path.is_file() and s.path.stat().st_size > 44]


def _stereo(
    tape: CallTape,
    caller: list[Segment],
    agent: list[Segment],
    destination: Path,
    interaction_id: str,
    sox: str,
) -> RecordingInfo:
    origin = caller[0].offset
    left, right = destination / ".left.wav", destination / ".right.wav"
    try:
        _lay(caller, left, origin=origin)
        _lay(agent, right, origin=origin)
        path = destination / "stereo.wav"
        _sox([sox, "-M", str(left), str(right), str(path)], interaction_id)
    finally:
        left.unlink(missing_ok=True)
        right.unlink(missing_ok=True)
    return describe(path, RecordingKind.STEREO, interaction_id, _at(tape, caller[0]))


def _lay(segments: Sequence[Segment], out: Path, *, origin: float) -> None:
    """Concatenate `segments` into `out`, each starting at its offset; gaps become silence."""
    with wave.open(str(segments[0].path), "rb") as first:
        channels, width, rate = first.getnchannels(), first.getsampwidth(), first.getframerate()
    scratch = out.with_name(f".{out.name}.part")
    with wave.open(str(scratch), "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        cursor = 0
        for segment in segments:
            start = max(0, round((segment.offset - origin) * rate))
            if start > cursor:
                writer.writeframes(b"\0" * (start - cursor) * channels * width)
                cursor = start
            cursor += _copy(segment.path, writer, (channels, width, rate))
    os.replace(scratch, out)


def _copy(path: Path, writer: wave.Wave_write, shape: tuple[int, int, int]) -> int:
    with wave.open(str(path), "rb") as reader:
        if (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) != shape:
            raise RecordingError(None, f"{path.name} has another format than the first segment")
        copied = 0
        while frames := reader.readframes(_COPY_FRAMES):
            writer.writeframes(frames)
            copied += len(frames) // (shape[0] * shape[1])
    return copied


def _sox(argv: list[str], interaction_id: str) -> None:
    try:
        done = subprocess.run(argv, capture_output=True, timeout=_SOX_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RecordingError(interaction_id, f"sox: {exc}") from exc
    if done.returncode != 0:
        raise RecordingError(interaction_id, f"sox: {done.stderr.decode(errors='replace').strip()}")
