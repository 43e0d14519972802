"""What runs in a speech worker process: one leg's WAV -> words with timings (Vosk) and speech activity.

The model is loaded once per worker process and kept for the process's life (it takes seconds and
hundreds of MB): `_MODELS` is that per-process cache, never shared with the gateway's own process.
"""

from __future__ import annotations

import array
import io
import json
import math
import sys
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.voice import SEALED_SUFFIX, RecordingsAtRest

from ._dialogue import Word

__all__ = ["LegAudio", "recognise_leg", "speech_activity"]

_MODELS: dict[str, Any] = {}
_FRAME_SECONDS = 0.02
_CHUNK_FRAMES = 8000
_NUMBER_MARKS = frozenset({("[", "]"), ("(", ")"), ("{", "}")})


@dataclass(frozen=True, slots=True)
class LegAudio:
    words: tuple[Word, ...]
    speech: tuple[tuple[float, float], ...]
    duration: float
    audio_seconds_per_cpu_second: float  # how fast this leg was recognised (CPU time of the worker)


def recognise_leg(model_dir: str, wav_path: str, recordings_key: bytes | None = None) -> LegAudio:
    """`wav_path` may be sealed (encrypted at rest): it is then opened in memory with `recordings_key`."""
    started = time.process_time()
    with wave.open(_plain(wav_path, recordings_key), "rb") as wav:
        if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise ValueError(f"{wav_path}: speech needs 16-bit mono WAV")
        rate, frames = wav.getframerate(), wav.readframes(wav.getnframes())
    words = _words(_model(model_dir), rate, frames)
    samples = array.array("h", frames)
    if sys.byteorder != "little":
        samples.byteswap()
    duration = len(samples) / rate
    cpu = max(time.process_time() - started, 1e-6)
    return LegAudio(tuple(words), tuple(speech_activity(samples, rate)), duration, duration / cpu)


def _plain(wav_path: str, recordings_key: bytes | None) -> str | io.BytesIO:
    if not wav_path.endswith(SEALED_SUFFIX):
        return wav_path
    return io.BytesIO(b"".join(RecordingsAtRest(recordings_key).chunks(Path(wav_path))))


def _model(model_dir: str) -> Any:
    model = _MODELS.get(model_dir)
    if model is None:
        import vosk

        vosk.SetLogLevel(-1)
        model = _MODELS[model_dir] = vosk.Model(model_dir)
    return model


def _words(model: Any, rate: int, frames: bytes) -> list[Word]:
    import vosk

    recogniser = vosk.KaldiRecognizer(model, rate)
    recogniser.SetWords(True)
    results: list[dict[str, Any]] = []
    step = _CHUNK_FRAMES * 2
    for i in range(0, len(frames), step):
        if recogniser.AcceptWaveform(frames[i : i + step]):
            results.append(json.loads(recogniser.Result()))
    results.append(json.loads(recogniser.FinalResult()))
    return [
        Word(_written(str(w["word"])), float(w["start"]), float(w["end"]), float(w.get("conf", 1.0)))
        for r in results
        for w in r.get("result", [])
    ]


def _written(word: str) -> str:
    """A word as a reader writes it. Some models mark how a number was read in their vocabulary: the
    Korean one says `[4]` or `[사]` for a digit read alone, `(백)` and `{만}` for place values."""
    if len(word) > 2 and (word[0], word[-1]) in _NUMBER_MARKS:
        return word[1:-1]
    return word


def speech_activity(samples: array.array[int], rate: int) -> list[tuple[float, float]]:
    """Spans of speech by frame energy: louder than the leg's noise floor + 15 dB (and than -50 dBFS);
    pauses under 0.3 s are bridged and blips under 0.1 s dropped."""
    size = max(1, int(rate * _FRAME_SECONDS))
    levels = [_dbfs(samples[i : i + size]) for i in range(0, len(samples), size)]
    if not levels:
        return []
    floor = sorted(levels)[len(levels) // 10]
    threshold = max(floor + 15.0, -50.0)
    spans: list[tuple[float, float]] = []
    for k, level in enumerate(levels):
        if level < threshold:
            continue
        start, end = k * _FRAME_SECONDS, min((k + 1) * _FRAME_SECONDS, len(samples) / rate)
        if spans and start - spans[-1][1] < 0.3:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return [(round(s, 3), round(e, 3)) for s, e in spans if e - s >= 0.1]


def _dbfs(frame: array.array[int]) -> float:
    if not frame:
        return -120.0
    power = sum(x * x for x in frame) / len(frame)
    return 10 * math.log10(power / (32768.0**2)) if power > 0 else -120.0
