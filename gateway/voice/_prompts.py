"""Spoken prompts and tones as WAV files, rendered once with espeak-ng and sox and kept in a folder.

A prompt's file name is the SHA-256 of what makes it sound the way it does (text, voice, rate), so a
restart reuses every prompt already rendered. Rendering runs in an executor: the loop never waits on it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path

from gateway.voice.errors import PromptError

__all__ = ["RATES", "PromptCache"]

RATES = (8000, 16000)
_RENDER_TIMEOUT = 30.0


class PromptCache:
    """`await cache.say("Hello", 16000)` returns the path of a 16-bit mono WAV at that rate."""

    def __init__(
        self,
        directory: Path,
        *,
        voice: str = "en-us",
        espeak: str = "espeak-ng",
        sox: str = "sox",
        executor: Executor | None = None,
    ) -> None:
        if not voice:
            raise ValueError("prompt cache: voice must not be empty")
        self._dir = directory
        self._voice = voice
        self._espeak = espeak
        self._sox = sox
        self._executor = executor
        self._pending: dict[Path, asyncio.Future[Path]] = {}

    @property
    def directory(self) -> Path:
        return self._dir

    async def say(self, text: str, rate: int = 8000, *, voice: str | None = None) -> Path:
        """The spoken `text`; rendered on first use, then read from the cache."""
        text = " ".join(text.split())
        if not text:
            raise PromptError(text, "nothing to say")
        spoken_by = voice or self._voice
        target = self._path("say", text, spoken_by, str(_rate(rate)))
        return await self._once(target, lambda: self._render_speech(text, spoken_by, rate, target))

    async def music_on_hold(self, rate: int = 8000) -> Path:
        """A soft chime every 1.5 s, 45 s long, for callers waiting without configured music.

        Long on purpose: a looping player reports each end of file from pjsua's clock thread, and
        the fewer such callbacks into the worker the better.
        """
        effects = ("synth", "1.2", "sine", "392", "fade", "h", "0.3", "1.2", "0.5", "vol", "0.12")
        chime = (*effects, "pad", "0", "0.3", "repeat", "29")
        return await self.tone("music_on_hold", chime, rate)

    async def beep(self, rate: int = 8000) -> Path:
        """The beep before a voicemail recording starts."""
        return await self.tone("beep", ("synth", "0.35", "sine", "1000", "vol", "0.3"), rate)

    async def tone(self, name: str, effects: Sequence[str], rate: int = 8000) -> Path:
        """A WAV synthesised by `sox -n` with these effects (e.g. `synth 1 sine 440`)."""
        target = self._path("tone", name, *effects, str(_rate(rate)))
        argv = [self._sox, "-n", "-r", str(rate), "-c", "1", "-b", "16", "-e", "signed-integer"]
        return await self._once(target, lambda: self._render_sox([*argv, "{out}", *effects], target))

    # --- rendering --------------------------------------------------------------------------------

    def _path(self, kind: str, *parts: str) -> Path:
        digest = hashlib.sha256("\x1f".join((kind, *parts)).encode()).hexdigest()
        return self._dir / f"{kind}-{digest[:32]}.wav"

    async def _once(self, target: Path, render: Callable[[], Path]) -> Path:
        if await asyncio.to_thread(target.is_file):
            return target
        pending = self._pending.get(target)
        if pending is not None:
            return await asyncio.shield(pending)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Path] = loop.run_in_executor(self._executor, render)
        self._pending[target] = future
        try:
            return await asyncio.shield(future)
        finally:
            if future.done():
                self._pending.pop(target, None)

    def _render_speech(self, text: str, voice: str, rate: int, target: Path) -> Path:
        self._dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self._dir, prefix=".say-") as scratch:
            raw = Path(scratch) / "raw.wav"
            _run([self._espeak, "-v", voice, "-w", str(raw), "--", text], text)
            return self._render_sox(
                [self._sox, str(raw), "-r", str(rate), "-c", "1", "-b", "16", "{out}"], target
            )

    def _render_sox(self, argv: list[str], target: Path) -> Path:
        self._dir.mkdir(parents=True, exist_ok=True)
        handle, scratch = tempfile.mkstemp(dir=self._dir, prefix=".part-", suffix=".wav")
        os.close(handle)
        try:
            _run([scratch if arg == "{out}" else arg for arg in argv], target.name)
            os.replace(scratch, target)  # atomic: a reader sees the whole file or none
        finally:
            Path(scratch).unlink(missing_ok=True)
        return target


def _rate(rate: int) -> int:
    if rate not in RATES:
        raise ValueError(f"prompt rate must be one of {RATES}, got {rate}")
    return rate


def _run(argv: list[str], what: str) -> None:
    try:
        done = subprocess.run(argv, capture_output=True, timeout=_RENDER_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PromptError(what, f"{argv[0]}: {exc}") from exc
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip() or f"exit status {done.returncode}"
        raise PromptError(what, f"{Path(argv[0]).name}: {detail}")
