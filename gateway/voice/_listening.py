"""Speech menus on the voice side: what a speech recogniser must offer, and what it reports back.

While a `menu` with `speech:` keywords waits, the caller's media worker writes what the caller says to a
file (a second recorder on the call, `ListenStart`) and the recogniser reads it as it grows. It reports
`SpeechStarted` (barge-in: the prompt stops, the no-input time-out is off) and then one `SpeechHeard`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

__all__ = ["SpeechHeard", "SpeechListener", "SpeechStarted"]


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    listen_id: str


@dataclass(frozen=True, slots=True)
class SpeechHeard:
    """One utterance: the words heard with enough confidence ("[unk]": speech, but none of the keywords),
    and the wall-clock time (`time.time()`) at which the caller stopped speaking."""

    listen_id: str
    text: str
    speech_ended: float
    scored: str = ""  # what the recogniser made of it, word:confidence, kept or not (for the log)


class SpeechListener(Protocol):
    @property
    def folder(self) -> Path:
        """Where the workers write the audio being listened to (tmpfs where there is one)."""
        ...

    @property
    def ready(self) -> bool:
        """The model is loaded; until then menus take DTMF only."""
        ...

    def connect(self, post: Callable[[SpeechStarted | SpeechHeard], None]) -> None:
        """Where reports go; `post` is called on the event loop's thread."""
        ...

    async def listen(
        self, listen_id: str, path: Path, phrases: tuple[str, ...], started: float, *, number: bool = False
    ) -> None:
        """Recognise one of `phrases` in the audio written to `path` from wall-clock time `started`;
        `number`: the phrases are digit words, and a pause between groups of digits does not end it."""
        ...

    async def stop(self, listen_id: str) -> None:
        """Stop listening (the input is complete, or the caller left); the file is removed."""
        ...

    def decided(self, latency: float) -> None:
        """An utterance chose the menu's way on, `latency` seconds after the caller stopped speaking."""
        ...
