"""Prompts are spoken by espeak-ng once, at the rate asked for, then served from the cache."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import pytest

from gateway.voice import PromptCache, PromptError


def _format(path: Path) -> tuple[int, int, int, float]:
    with wave.open(str(path), "rb") as reader:
        rate = reader.getframerate()
        return rate, reader.getnchannels(), reader.getsampwidth(), reader.getnframes() / rate


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


@pytest.mark.parametrize("rate", [8000, 16000])
async def test_given_a_text_when_said_then_it_is_a_mono_16_bit_wav_at_the_rate(
    tmp_path: Path, rate: int
) -> None:
    path = await PromptCache(tmp_path).say("Press one for billing.", rate)

    got_rate, channels, width, seconds = _format(path)
    assert (got_rate, channels, width) == (rate, 1, 2)
    assert 0.8 < seconds < 5.0


async def test_given_the_same_text_twice_when_said_together_then_it_is_rendered_once(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path)

    first, second = await asyncio.gather(cache.say("Hello there"), cache.say("Hello   there"))

    assert first == second
    assert await asyncio.to_thread(_names, tmp_path) == [first.name]
    before = first.stat().st_mtime_ns
    assert await PromptCache(tmp_path).say("Hello there") == first
    assert first.stat().st_mtime_ns == before


async def test_given_another_voice_or_rate_when_said_then_it_is_another_file(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path)
    assert (
        len({await cache.say("Hi", 8000), await cache.say("Hi", 16000), await cache.say("Hi", voice="en-gb")})
        == 3
    )


async def test_given_no_speech_engine_when_said_then_a_prompt_error_names_it(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match="no-such-espeak"):
        await PromptCache(tmp_path, espeak=str(tmp_path / "no-such-espeak")).say("Hello")
    assert await asyncio.to_thread(_names, tmp_path) == []


async def test_given_no_music_configured_when_asked_then_a_soft_tone_is_made(tmp_path: Path) -> None:
    rate, channels, _, seconds = _format(await PromptCache(tmp_path).music_on_hold(8000))
    assert (rate, channels) == (8000, 1) and 40.0 < seconds < 50.0


async def test_given_an_unsupported_rate_when_said_then_it_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="rate"):
        await PromptCache(tmp_path).say("Hi", 44100)
