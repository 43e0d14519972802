"""Recordings at rest: owner-only files, sealed with AES-256-GCM chunk by chunk, opened chunk by chunk."""

from __future__ import annotations

import base64
import hashlib
import math
import secrets
import stat
import struct
import wave
from pathlib import Path

import pytest

from gateway.voice import RecordingsAtRest, RecordingUnreadable, load_key
from gateway.voice._at_rest import private_dirs

CHUNK = 4096


def _wav(path: Path, seconds: float = 1.0, rate: int = 16000) -> bytes:
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
        for i in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(frames)
    return path.read_bytes()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_given_a_key_when_a_recording_is_kept_then_only_its_sealed_form_remains_and_it_plays_back_the_same(
    tmp_path: Path,
) -> None:
    plain = _wav(tmp_path / "caller.wav")
    at_rest = RecordingsAtRest(secrets.token_bytes(32), chunk_bytes=CHUNK)

    kept = at_rest.keep(tmp_path / "caller.wav")

    assert kept == tmp_path / "caller.wav.enc"
    assert not (tmp_path / "caller.wav").exists()
    assert _mode(kept) == 0o600
    sealed = kept.read_bytes()
    assert plain[:44] not in sealed and plain[1000:1100] not in sealed  # neither header nor audio in clear
    blocks = list(at_rest.chunks(kept))
    assert max(len(b) for b in blocks) <= CHUNK  # never more than one chunk in memory
    assert hashlib.sha256(b"".join(blocks)).digest() == hashlib.sha256(plain).digest()


@pytest.mark.parametrize("size", [0, CHUNK, 3 * CHUNK, 3 * CHUNK + 1])
def test_given_any_size_on_a_chunk_boundary_or_not_when_sealed_then_it_opens_to_the_same_bytes(
    tmp_path: Path, size: int
) -> None:
    data = secrets.token_bytes(size)
    (tmp_path / "f.wav").write_bytes(data)
    at_rest = RecordingsAtRest(secrets.token_bytes(32), chunk_bytes=CHUNK)

    assert b"".join(at_rest.chunks(at_rest.keep(tmp_path / "f.wav"))) == data


def _sealed(tmp_path: Path, key: bytes) -> Path:
    _wav(tmp_path / "agent.wav")
    return RecordingsAtRest(key, chunk_bytes=CHUNK).keep(tmp_path / "agent.wav")


def test_given_a_sealed_file_altered_on_disk_when_opened_then_it_fails_authentication(tmp_path: Path) -> None:
    key = secrets.token_bytes(32)
    kept = _sealed(tmp_path, key)
    data = bytearray(kept.read_bytes())
    data[CHUNK + 200] ^= 0x01
    kept.write_bytes(bytes(data))

    with pytest.raises(RecordingUnreadable, match="chunk 1 fails authentication"):
        list(RecordingsAtRest(key, chunk_bytes=CHUNK).chunks(kept))


def test_given_a_sealed_file_cut_at_a_chunk_boundary_when_opened_then_the_missing_end_is_noticed(
    tmp_path: Path,
) -> None:
    key = secrets.token_bytes(32)
    kept = _sealed(tmp_path, key)
    header = 6 + 7 + 4
    kept.write_bytes(kept.read_bytes()[: header + 2 * (CHUNK + 16)])  # whole chunks, the last one dropped

    with pytest.raises(RecordingUnreadable, match="fails authentication"):
        list(RecordingsAtRest(key, chunk_bytes=CHUNK).chunks(kept))


def test_given_another_key_or_none_when_a_sealed_file_is_opened_then_it_is_refused(tmp_path: Path) -> None:
    kept = _sealed(tmp_path, secrets.token_bytes(32))

    with pytest.raises(RecordingUnreadable, match="chunk 0 fails authentication"):
        list(RecordingsAtRest(secrets.token_bytes(32)).chunks(kept))
    with pytest.raises(RecordingUnreadable, match="no recordings key is configured"):
        list(RecordingsAtRest().chunks(kept))


def test_given_no_key_when_a_recording_is_kept_then_it_stays_plain_and_owner_only(tmp_path: Path) -> None:
    plain = _wav(tmp_path / "stereo.wav")
    (tmp_path / "stereo.wav").chmod(0o644)

    kept = RecordingsAtRest().keep(tmp_path / "stereo.wav")

    assert (kept, _mode(kept), kept.read_bytes()) == (tmp_path / "stereo.wav", 0o600, plain)


def test_given_nested_folders_when_made_private_then_each_is_owner_only(tmp_path: Path) -> None:
    root = tmp_path / "recordings"
    private_dirs(root, root / "2026" / "12" / "02" / "iid")

    for folder in (
        root,
        root / "2026",
        root / "2026" / "12",
        root / "2026" / "12" / "02",
        root / "2026/12/02/iid",
    ):
        assert _mode(folder) == 0o700, folder


def test_given_key_files_when_loaded_then_a_bad_one_is_named_with_what_is_wrong(tmp_path: Path) -> None:
    good, short, junk = tmp_path / "good", tmp_path / "short", tmp_path / "junk"
    good.write_text(base64.b64encode(b"k" * 32).decode() + "\n")
    short.write_text(base64.b64encode(b"k" * 16).decode())
    junk.write_text("not base64!")

    assert load_key(good) == b"k" * 32
    with pytest.raises(ValueError, match=r"short: need 32 bytes, found 16"):
        load_key(short)
    with pytest.raises(ValueError, match=r"junk: cannot read a base64 key"):
        load_key(junk)
