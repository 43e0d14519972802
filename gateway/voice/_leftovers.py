"""Call segments a gateway left behind when it stopped during calls (a crash, kill -9): kept sealed, and told.

While a call lasts, its recorders write segments in clear to `recordings/.calls/<call id>/` (the media worker
writes them as audio comes; they are assembled and sealed when the call is filed). A gateway that dies during
a call never files them. At start-up no call is live yet, so every folder there is such a leftover. Filing it
as the call's recording would need what only the dead process knew (which interaction the call was, where
each segment sits on the call's timeline), so its segments are kept as they are instead: a WAV header the
recorder never finished is completed, each segment is sealed (with a recordings key; else made owner-only),
moved to `recordings/unfinished/<yyyy>/<mm>/<dd>/<call id>/`, and each call is logged. Empty segments (a
recorder that never got audio) are dropped.
"""

from __future__ import annotations

import shutil
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gateway.voice._at_rest import SEALED_SUFFIX, RecordingsAtRest, private_dirs

__all__ = ["SCRATCH_DIR", "UNFINISHED_DIR", "Leftover", "keep_leftovers"]

SCRATCH_DIR = ".calls"  # under the recordings folder: segments of calls in progress
UNFINISHED_DIR = "unfinished"  # under the recordings folder: what calls cut off by a stop left

_WAV_HEADER = 44  # a canonical PCM WAV header, as pjsua's recorder writes it


@dataclass(frozen=True, slots=True)
class Leftover:
    call_id: str
    folder: Path  # where its segments are kept now
    kept: tuple[Path, ...]
    dropped: int  # empty segments removed


def keep_leftovers(recordings_dir: Path, at_rest: RecordingsAtRest) -> list[Leftover]:
    """Blocking: keep every call folder left in the scratch folder; call it before any call is taken."""
    scratch = recordings_dir / SCRATCH_DIR
    if not scratch.is_dir():
        return []
    return [_keep(folder, recordings_dir, at_rest) for folder in sorted(scratch.iterdir()) if folder.is_dir()]


def _keep(folder: Path, recordings_dir: Path, at_rest: RecordingsAtRest) -> Leftover:
    day = datetime.fromtimestamp(folder.stat().st_mtime, UTC).strftime("%Y/%m/%d")
    target = recordings_dir / UNFINISHED_DIR / day / folder.name
    private_dirs(recordings_dir, target)
    kept, dropped = [], 0
    # Sealed in place first, then moved: a stop in between leaves only sealed files to move next time.
    for segment in sorted(folder.iterdir()):
        if not segment.is_file():
            continue
        if segment.name.endswith(SEALED_SUFFIX):
            kept.append(segment.replace(target / segment.name))
        elif segment.stat().st_size <= _WAV_HEADER:
            segment.unlink()
            dropped += 1
        else:
            _finish_header(segment)
            sealed = at_rest.keep(segment)
            kept.append(sealed.replace(target / sealed.name))
    shutil.rmtree(folder)
    return Leftover(folder.name, target, tuple(kept), dropped)


def _finish_header(path: Path) -> None:
    """A recorder stopped before it closed leaves the header's sizes at what it first wrote: set them."""
    size = path.stat().st_size
    with path.open("r+b") as wav:
        header = wav.read(_WAV_HEADER)
        if len(header) < _WAV_HEADER or header[:4] != b"RIFF" or header[36:40] != b"data":
            return  # not the canonical layout: kept as it is
        riff, data = struct.unpack_from("<I", header, 4)[0], struct.unpack_from("<I", header, 40)[0]
        if (riff, data) != (size - 8, size - _WAV_HEADER):
            wav.seek(4)
            wav.write(struct.pack("<I", size - 8))
            wav.seek(40)
            wav.write(struct.pack("<I", size - _WAV_HEADER))
