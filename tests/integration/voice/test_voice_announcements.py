"""What a waiting caller hears: the position and estimated-wait announcement, checked by its words.

The caller is a pjsua2 phone that records what it hears; the recording is compared with espeak-ng's
rendering of the expected sentence and of wrong ones (another position, another wait)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateway.voice import PromptCache
from tests.integration.voice.audio import read, resample, worst_part
from tests.integration.voice.conftest import Gateway, Phone

RATE = 16000


async def test_given_a_caller_alone_in_the_queue_when_announced_then_it_hears_number_1_and_3_minutes(
    start_phone: Callable[..., Any], start_gateway: Callable[..., Any], prompt_dir: Path
) -> None:
    agents = await start_phone()
    gateway = await start_gateway(agents)  # nobody signed in: position 1, 180 s handle time, 1 agent
    caller = await start_phone(caller_id="+15550123")

    heard = await _wait_in_queue(caller, gateway)

    cache = PromptCache(prompt_dir)
    said = "You are number {} in the queue. Your estimated wait is about {}."
    right = await _match(cache, heard, said.format(1, "3 minutes"))
    wrong_place = await _match(cache, heard, said.format(4, "3 minutes"))
    wrong_wait = await _match(cache, heard, said.format(1, "7 minutes"))
    # Every half second of the right sentence is found in what the caller heard (a clean call gives ~0.95,
    # a jitter-buffer glitch in one piece ~0.7); a wrong word leaves its piece unfound (~0.3-0.4).
    assert right > 0.6, (right, wrong_place, wrong_wait)
    assert wrong_place < right - 0.25, (right, wrong_place)
    assert wrong_wait < right - 0.25, (right, wrong_wait)


async def _wait_in_queue(caller: Phone, gateway: Gateway) -> Path:
    """Call, press 3 (the queue with an announcement every 2 s), listen, hang up; what the phone heard."""
    await caller.send(f"call sip:helpline@127.0.0.1:{gateway.port}")
    await caller.wait_for("confirmed out 1")
    await asyncio.sleep(1.5)
    await caller.send("dtmf 1 3")
    await asyncio.sleep(10.0)  # 2 s of music, then the ~4.5 s announcement
    await caller.send("hangup 1")
    await caller.wait_for("disconnected out 1")
    return caller.heard("out", 1)


async def _match(cache: PromptCache, heard: Path, text: str) -> float:
    """The worst-heard half second of `text` as espeak-ng says it (the cache renders the prompts too)."""
    reference, reference_rate = read(await cache.say(text, RATE))
    recording, rate = read(heard)
    return worst_part(resample(recording[0], rate, RATE), resample(reference[0], reference_rate, RATE), RATE)
