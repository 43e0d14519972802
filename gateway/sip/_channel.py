"""The worker's end of the control channel: frames in on stdin, events out on the original stdout.

pjsua writes its log to file descriptor 1, so the worker keeps a private copy of stdout for frames and
points descriptor 1 at stderr before pjsua starts.
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
from collections.abc import Callable
from typing import BinaryIO

from gateway.sip._codec import encode
from gateway.sip._protocol import MAX_FRAME_BYTES, Event

__all__ = ["ControlChannel"]

logger = logging.getLogger("helpline.sip.worker")


class ControlChannel:
    """Frames are read on a thread and queued; `None` in the queue means the gateway closed the channel.

    The reader uses `os.read` on a raw descriptor: a daemon thread blocked inside a buffered reader would
    make the interpreter abort at exit.
    """

    def __init__(self, reader_fd: int, writer: BinaryIO) -> None:
        self._reader_fd = reader_fd
        self._writer = writer
        self.frames: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.closed = False

    @classmethod
    def from_stdio(cls) -> ControlChannel:
        frames_fd = os.dup(1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        return cls(sys.stdin.fileno(), os.fdopen(frames_fd, "wb", buffering=0))

    def start_reading(self, on_thread_start: Callable[[], None]) -> None:
        threading.Thread(
            target=self._read, args=(on_thread_start,), name="control-reader", daemon=True
        ).start()

    def send(self, event: Event) -> None:
        if self.closed:
            return
        try:
            self._writer.write(encode(event).encode())
        except (BrokenPipeError, ValueError, OSError):
            logger.warning("control channel closed while sending %s", event.TYPE)
            self.closed = True

    def _read(self, on_thread_start: Callable[[], None]) -> None:
        on_thread_start()
        pending = bytearray()
        skipping = False
        while chunk := os.read(self._reader_fd, 65536):
            pending += chunk
            skipping = self._split_frames(pending, skipping)
        self.frames.put(None)

    def _split_frames(self, pending: bytearray, skipping: bool) -> bool:
        """Queue every complete line in `pending`; True while inside an oversized line being skipped."""
        while (end := pending.find(b"\n")) >= 0:
            line = bytes(pending[: end + 1])
            del pending[: end + 1]
            if not skipping and line.strip():
                self.frames.put(line)
            skipping = False
        if len(pending) > MAX_FRAME_BYTES:
            if not skipping:
                self.frames.put(bytes(pending[: MAX_FRAME_BYTES + 1]))
            pending.clear()
            return True
        return skipping
