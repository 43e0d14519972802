"""What runs in the live recognition process: callers' audio read as the media workers write it, one
Vosk grammar recogniser per listening menu, all sharing the one model this process loaded.

A media worker's recorder writes a WAV header and then the audio in small blocks as the conference clock
ticks; an `Ear` reads what was appended since its last look. Speech is found by frame energy: its start
is reported at once (barge-in), and after `end_silence` seconds of quiet (`number_end_silence` for a
number said digit by digit) the recogniser's final result is reported, each word under the confidence
threshold as "[unk]" ("[unk]" alone when none is left).
"""

from __future__ import annotations

import array
import contextlib
import json
import math
import os
import queue
import sys
import time
from dataclasses import dataclass
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["Ear", "Hearing", "serve", "taken"]

_FRAME_SECONDS = 0.02
_POLL_SECONDS = 0.02
_WAV_HEAD = 44  # pjmedia's WAV writer: RIFF + fmt (16 bytes) + data header, written when it opens
UNKNOWN = "[unk]"


@dataclass(frozen=True, slots=True)
class Hearing:
    confidence: float = 0.5  # words below it are not taken as heard
    voice_dbfs: float = -42.0  # a 20 ms frame louder than this is voice
    start_frames: int = 3  # this many voiced frames in a row start speech (60 ms)
    end_silence: float = 0.6  # seconds of quiet that end an utterance
    number_end_silence: float = 1.2  # ... of a number: a pause between groups of digits does not end it
    max_utterance: float = 8.0  # an utterance is cut here (a noisy line never ends one)
    max_listen: float = 120.0  # an ear nobody stopped is dropped after this long


class Ear:
    """One listening menu: the file it reads, the recogniser, and where the caller's speech is."""

    def __init__(
        self,
        listen_id: str,
        path: Path,
        phrases: tuple[str, ...],
        started: float,
        hearing: Hearing,
        *,
        number: bool = False,
    ) -> None:
        self.listen_id, self.path, self.started = listen_id, path, started
        self._grammar = json.dumps([*phrases, UNKNOWN], ensure_ascii=False)
        self._hearing = hearing
        self._end_silence = hearing.number_end_silence if number else hearing.end_silence
        self._file: BinaryIO | None = None
        self._recogniser: Any = None
        self._rate = 0
        self._frame_bytes = 0
        self._pending = b""
        self._frames = 0  # 20 ms frames read so far
        self._voiced_run = 0
        self._speech_from: int | None = None  # frame where speech started
        self._last_voiced = 0
        self.done = False

    def hear(self, model: Any) -> list[tuple[str, ...]]:
        """Read what was appended; the reports (`started` / `heard`) it leads to."""
        if self._file is None and not self._open(model):
            return self._expire()
        assert self._file is not None
        data = self._pending + self._file.read()
        usable = len(data) - len(data) % self._frame_bytes
        self._pending = data[usable:]
        reports: list[tuple[str, ...]] = []
        for i in range(0, usable, self._frame_bytes):
            reports += self._frame(data[i : i + self._frame_bytes])
            if self.done:
                break
        return reports or self._expire()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _open(self, model: Any) -> bool:
        try:
            file = self.path.open("rb")
        except FileNotFoundError:
            return False  # the worker has not created it yet
        head = file.read(_WAV_HEAD)
        if len(head) < _WAV_HEAD:
            file.close()
            return False
        import vosk

        channels = int.from_bytes(head[22:24], "little")
        self._rate = int.from_bytes(head[24:28], "little")
        if head[:4] != b"RIFF" or channels != 1 or head[34:36] != b"\x10\x00" or not self._rate:
            file.close()
            raise ValueError(f"{self.path}: expected a 16-bit mono WAV from the media worker")
        self._file = file
        self._frame_bytes = int(self._rate * _FRAME_SECONDS) * 2
        self._recogniser = vosk.KaldiRecognizer(model, self._rate, self._grammar)
        self._recogniser.SetWords(True)
        return True

    def _expire(self) -> list[tuple[str, ...]]:
        if time.time() - self.started > self._hearing.max_listen:
            self.done = True
        return []

    def _frame(self, frame: bytes) -> list[tuple[str, ...]]:
        self._frames += 1
        self._recogniser.AcceptWaveform(frame)
        voiced = _dbfs(frame) > self._hearing.voice_dbfs
        self._voiced_run = self._voiced_run + 1 if voiced else 0
        if voiced:
            self._last_voiced = self._frames
        if self._speech_from is None:
            if self._voiced_run >= self._hearing.start_frames:
                self._speech_from = self._frames - self._voiced_run
                return [("started", self.listen_id)]
            return []
        quiet = (self._frames - self._last_voiced) * _FRAME_SECONDS
        spoken = (self._frames - self._speech_from) * _FRAME_SECONDS
        if quiet >= self._end_silence or spoken >= self._hearing.max_utterance:
            return [self._result()]
        return []

    def _result(self) -> tuple[str, ...]:
        self.done = True
        words = json.loads(self._recogniser.FinalResult()).get("result", [])
        ended = self.started + self._last_voiced * _FRAME_SECONDS
        scored = " ".join(f"{w['word']}:{float(w.get('conf', 1.0)):.2f}" for w in words)
        return ("heard", self.listen_id, taken(words, self._hearing.confidence), repr(ended), scored)


def taken(words: list[dict[str, Any]], confidence: float) -> str:
    """What an utterance's words (Vosk's `result`) say at `confidence`: a word too unsure to take stays
    in its place as "[unk]", so a number said digit by digit never comes out a digit shorter; "[unk]"
    alone when no word is left."""
    kept = [str(w["word"]) if float(w.get("conf", 1.0)) >= confidence else UNKNOWN for w in words]
    return " ".join(kept) if any(word != UNKNOWN for word in kept) else UNKNOWN


def _dbfs(frame: bytes) -> float:
    samples = array.array("h", frame)
    if sys.byteorder != "little":
        samples.byteswap()
    power = sum(x * x for x in samples) / max(len(samples), 1)
    return 10 * math.log10(power / (32768.0**2)) if power > 0 else -120.0


def serve(model_dir: str, hearing: Hearing, commands: Queue[Any], reports: Queue[Any]) -> None:
    """The process's main loop: `("listen", id, path, phrases, started, number)`, `("stop", id)`, `None`
    to end."""
    import vosk

    vosk.SetLogLevel(-2)  # not even warnings: a model without "[unk]" warns on every grammar built
    model = vosk.Model(model_dir)
    reports.put(("ready", str(os.getpid())))
    ears: dict[str, Ear] = {}
    while True:
        try:
            command = commands.get(timeout=_POLL_SECONDS) if ears else commands.get()
        except queue.Empty:
            command = ()
        while command is not None and command != ():
            _obey(command, ears, hearing)
            try:
                command = commands.get_nowait()
            except queue.Empty:
                command = ()
        if command is None:
            break
        for ear in list(ears.values()):
            for report in _listen(ear, model):
                reports.put(report)
            if ear.done:
                ears.pop(ear.listen_id).close()
    for ear in ears.values():
        ear.close()


def _listen(ear: Ear, model: Any) -> list[tuple[str, ...]]:
    try:
        return ear.hear(model)
    except Exception as exc:  # one unreadable file must not deafen every other call
        ear.done = True
        return [("failed", ear.listen_id, repr(exc))]


def _obey(command: tuple[Any, ...], ears: dict[str, Ear], hearing: Hearing) -> None:
    if command[0] == "listen":
        _, listen_id, path, phrases, started, number = command
        ears[listen_id] = Ear(listen_id, Path(path), tuple(phrases), float(started), hearing, number=number)
    elif command[0] == "stop":
        ear = ears.pop(command[1], None)
        if ear is not None:
            ear.close()
        else:  # stopped before (or right after) it was heard: the file may still be there
            with contextlib.suppress(FileNotFoundError):
                Path(command[2]).unlink()
