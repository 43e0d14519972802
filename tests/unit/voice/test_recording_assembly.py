"""Assembling a call's recordings: segments land at their offsets, gaps become exact silence, and the
stereo file puts the caller left and the agent right on the call's timeline."""

from __future__ import annotations

import hashlib
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.voice import RecordingKind
from gateway.voice._recording import CallTape, assemble_call

RATE = 8000


def _segment(path: Path, seconds: float, level: int) -> None:
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(RATE)
        writer.writeframes(level.to_bytes(2, "little", signed=True) * int(seconds * RATE))


def _frames(path: Path) -> tuple[int, bytes]:
    with wave.open(str(path), "rb") as reader:
        return reader.getnchannels(), reader.readframes(reader.getnframes())


@pytest.fixture
def tape(tmp_path: Path) -> CallTape:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    tape = CallTape(folder=scratch, started_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    _segment(tape.caller.open(scratch, 0.0), 1.0, 1000)  # then a 0.5 s sensitive pause
    tape.caller.close()
    _segment(tape.caller.open(scratch, 1.5), 2.0, 1000)
    _segment(tape.agent.open(scratch, 2.0), 1.5, -2000)
    return tape


def test_given_a_paused_caller_when_assembled_then_the_pause_is_silence_of_its_exact_length(
    tape: CallTape, tmp_path: Path
) -> None:
    infos = {i.kind: i for i in assemble_call(tape, tmp_path / "out", "i-1")}

    channels, data = _frames(infos[RecordingKind.CALLER].path)
    samples = [int.from_bytes(data[i : i + 2], "little", signed=True) for i in range(0, len(data), 2)]
    assert channels == 1 and len(samples) == int(3.5 * RATE)
    assert set(samples[:RATE]) == {1000} and set(samples[int(1.5 * RATE) :]) == {1000}
    assert set(samples[RATE : int(1.5 * RATE)]) == {0}


def test_given_both_legs_when_assembled_then_stereo_aligns_the_agent_on_the_call_timeline(
    tape: CallTape, tmp_path: Path
) -> None:
    infos = {i.kind: i for i in assemble_call(tape, tmp_path / "out", "i-1")}

    stereo = infos[RecordingKind.STEREO]
    channels, data = _frames(stereo.path)
    frames = [data[i : i + 4] for i in range(0, len(data), 4)]
    left = [int.from_bytes(f[:2], "little", signed=True) for f in frames]
    right = [int.from_bytes(f[2:], "little", signed=True) for f in frames]
    assert channels == 2 and stereo.duration_s == 3.5
    assert set(right[: 2 * RATE]) == {0} and set(right[2 * RATE :]) == {-2000}
    assert set(left[:RATE]) == {1000}
    assert infos[RecordingKind.AGENT].started_at == tape.started_at + timedelta(seconds=2)
    assert infos[RecordingKind.AGENT].duration_s == 1.5
    assert stereo.sha256 == hashlib.sha256(stereo.path.read_bytes()).hexdigest()
    assert stereo.size == stereo.path.stat().st_size
    assert {i.interaction_id for i in infos.values()} == {"i-1"}
