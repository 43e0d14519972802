"""Segments a gateway killed during a call left in `.calls`: kept sealed at the next start, none in clear."""

from __future__ import annotations

import io
import os
import struct
import wave
from pathlib import Path

from gateway.voice import RecordingsAtRest
from gateway.voice._leftovers import keep_leftovers


def _segment(path: Path, *, frames: int, header_finished: bool) -> None:
    """A 8 kHz 16-bit mono WAV; unfinished, its header still says 0 bytes (a recorder that never closed)."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x01\x02" * frames)
    if not header_finished:
        with path.open("r+b") as raw:
            raw.seek(4)
            raw.write(struct.pack("<I", 36))
            raw.seek(40)
            raw.write(struct.pack("<I", 0))


def test_given_segments_of_a_cut_off_call_when_kept_then_sealed_whole_and_the_empty_one_dropped(
    tmp_path: Path,
) -> None:
    call = tmp_path / ".calls" / "call-7"
    call.mkdir(parents=True)
    _segment(call / "caller-001.wav", frames=8000, header_finished=False)
    _segment(call / "caller-002.wav", frames=4000, header_finished=True)
    _segment(call / "agent-001.wav", frames=0, header_finished=True)
    at_rest = RecordingsAtRest(os.urandom(32))

    [left] = keep_leftovers(tmp_path, at_rest)

    assert (left.call_id, left.dropped) == ("call-7", 1)
    assert sorted(p.name for p in left.kept) == ["caller-001.wav.enc", "caller-002.wav.enc"]
    assert left.folder.parent.parent.parent.parent == tmp_path / "unfinished"
    assert list((tmp_path / ".calls").iterdir()) == []
    assert [p for p in tmp_path.rglob("*.wav")] == []
    seconds = {}
    for kept in left.kept:
        with wave.open(io.BytesIO(at_rest.read(kept))) as played:
            seconds[kept.name] = played.getnframes() / played.getframerate()
    assert seconds == {"caller-001.wav.enc": 1.0, "caller-002.wav.enc": 0.5}
