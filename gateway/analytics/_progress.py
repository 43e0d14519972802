"""A one-line progress bar on a terminal (no dependency: the project ships neither rich nor tqdm).

On a pipe or a file it stays silent, so logs and captured output carry no carriage-return noise.
"""

from __future__ import annotations

import sys
from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    def __init__(self, label: str, *, stream: TextIO | None = None, width: int = 30) -> None:
        self._label, self._stream, self._width = label, stream or sys.stderr, width
        self._shown = -1

    def __call__(self, fraction: float) -> None:
        percent = max(0, min(100, int(fraction * 100)))
        if percent == self._shown or not self._stream.isatty():
            return
        self._shown = percent
        filled = self._width * percent // 100
        bar = "#" * filled + "-" * (self._width - filled)
        self._stream.write(f"\r{self._label} [{bar}] {percent:3d}%")
        self._stream.flush()

    def close(self) -> None:
        if self._shown >= 0:
            self._stream.write("\n")
            self._stream.flush()
