"""`LiveRecogniser`: speech menus' ears. One spawned process holds the Vosk model once for every call
and reads the audio the media workers write into tmpfs; its reports reach the voice service's inbox.

    live = LiveRecogniser(model_dir=model)       # then VoiceService(..., speech=live)
    await live.start()                            # menus take DTMF only until the model is loaded
    ...
    await live.close()

Neither the event loop nor a media worker's polling thread recognises anything: the loop only puts
commands on a queue, and a reader thread hands the process's reports to the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
import threading
from collections import deque
from collections.abc import Callable
from multiprocessing import get_context
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

from gateway.voice import SpeechHeard, SpeechStarted

from ._hearing import Hearing, serve

__all__ = ["LiveRecogniser"]

logger = logging.getLogger("helpline.speech")

_SHM = Path("/dev/shm")
_LATENCIES = 1000


class LiveRecogniser:
    """Implements the voice service's `SpeechListener`."""

    def __init__(
        self, *, model_dir: Path, hearing: Hearing | None = None, folder: Path | None = None
    ) -> None:
        self._model_dir = str(model_dir)
        self._hearing = hearing or Hearing()
        if not 0.0 <= self._hearing.confidence <= 1.0:
            raise ValueError("speech: menu_confidence must be between 0 and 1")
        self._parent = folder
        self._folder: Path | None = None
        self._post: Callable[[SpeechStarted | SpeechHeard], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._process: BaseProcess | None = None
        self._commands: Queue[Any] | None = None
        self._reports: Queue[Any] | None = None
        self._reader: threading.Thread | None = None
        self._ready = threading.Event()
        self._paths: dict[str, Path] = {}
        self.latencies: deque[float] = deque(maxlen=_LATENCIES)
        """Seconds from the end of the caller's speech to the menu's decision, the latest first out."""

    @property
    def folder(self) -> Path:
        if self._folder is None:
            raise RuntimeError("LiveRecogniser.start() must run first")
        return self._folder

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def connect(self, post: Callable[[SpeechStarted | SpeechHeard], None]) -> None:
        self._post = post

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._folder = await asyncio.to_thread(_listening_folder, self._parent)
        # making the queues (semaphores, pipes) and the process blocks: a thread does it
        try:
            await asyncio.to_thread(self._spawn)
        except BaseException:
            await asyncio.to_thread(shutil.rmtree, self._folder, True)
            raise
        self._reader = threading.Thread(target=self._read, name="helpline.speech.menus", daemon=True)
        self._reader.start()

    def _spawn(self) -> None:
        context = get_context("spawn")  # a fork would copy the gateway's threads (pjsua2, the loop)
        self._commands, self._reports = context.Queue(), context.Queue()
        process = context.Process(
            target=serve,
            args=(self._model_dir, self._hearing, self._commands, self._reports),
            name="helpline-speech-menus",
            daemon=True,
        )
        process.start()
        self._process = process

    async def wait_ready(self, seconds: float) -> None:
        """Until the model is loaded (seconds for a small one); TimeoutError after `seconds`."""
        if not await asyncio.to_thread(self._ready.wait, seconds):
            raise TimeoutError(f"the speech menu model did not load within {seconds:.0f} s")

    async def stop(self, listen_id: str) -> None:
        path = self._paths.pop(listen_id, None)
        await self._send(("stop", listen_id, str(path or "")))

    async def listen(
        self, listen_id: str, path: Path, phrases: tuple[str, ...], started: float, *, number: bool = False
    ) -> None:
        self._paths[listen_id] = path
        await self._send(("listen", listen_id, str(path), phrases, started, number))

    def decided(self, latency: float) -> None:
        self.latencies.append(latency)

    async def _send(self, command: tuple[Any, ...] | None) -> None:
        if self._commands is not None:
            # a queue's put hands the item to its feeder thread; the first one starts that thread
            await asyncio.to_thread(self._commands.put, command)

    async def close(self) -> None:
        process, reader = self._process, self._reader
        if process is None:
            return
        await self._send(None)
        await asyncio.to_thread(process.join, 10)
        if process.is_alive():
            process.kill()
            await asyncio.to_thread(process.join, 5)
        if self._reports is not None:
            await asyncio.to_thread(self._reports.put, None)  # ends the reader thread
        if reader is not None:
            await asyncio.to_thread(reader.join, 5)
        await asyncio.to_thread(self._close_queues)
        self._process = self._reader = None
        self._ready.clear()
        if self._folder is not None:
            await asyncio.to_thread(shutil.rmtree, self._folder, True)

    def _close_queues(self) -> None:
        for channel in (self._commands, self._reports):
            if channel is not None:
                channel.close()
                channel.join_thread()
        self._commands = self._reports = None

    def _read(self) -> None:
        """The reader thread: reports from the process, handed to the event loop."""
        assert self._reports is not None and self._loop is not None
        while (report := self._reports.get()) is not None:
            kind = report[0]
            if kind == "ready":
                logger.info("speech menus are listening (recognition process %s)", report[1])
                self._ready.set()
            elif kind == "failed":
                logger.error("speech menu %s could not listen: %s", report[1], report[2])
            elif kind == "started":
                self._deliver(SpeechStarted(report[1]))
            elif kind == "heard":
                self._deliver(SpeechHeard(report[1], report[2], float(report[3]), report[4]))

    def _deliver(self, report: SpeechStarted | SpeechHeard) -> None:
        if self._post is not None and self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed while the process still spoke
                self._loop.call_soon_threadsafe(self._post, report)


def _listening_folder(parent: Path | None) -> Path:
    """A private folder in tmpfs (/dev/shm) where there is one: the audio never touches a disk."""
    base = parent or (_SHM if _SHM.is_dir() and os.access(_SHM, os.W_OK) else None)
    return Path(tempfile.mkdtemp(prefix="helpline-listen-", dir=base))
