"""What a step cost: CPU time (utime + stime from /proc/<pid>/stat) and memory (Rss/Pss from
/proc/<pid>/smaps_rollup) of the measured processes, and what the controller counted."""

from __future__ import annotations

import asyncio
import os
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "CLK_TCK",
    "Idle",
    "Sampler",
    "Seen",
    "children_cpu_seconds",
    "cpu_ticks",
    "measure_idle",
    "memory_kb",
]

CLK_TCK = os.sysconf("SC_CLK_TCK")
_SAMPLE_SECONDS = 0.5


def cpu_ticks(pids: Sequence[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        # After the command: state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
        # utime(14) stime(15); index 0 here is field 3.
        total += int(fields[11]) + int(fields[12])
    return total


def memory_kb(pids: Sequence[int]) -> tuple[int, int]:
    rss = pss = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            name, _, rest = line.partition(":")
            if name == "Rss":
                rss += int(rest.split()[0])
            elif name == "Pss":
                pss += int(rest.split()[0])
    return rss, pss


def children_cpu_seconds() -> float:
    """CPU of this process's children that have ended (and been waited for): the SIPp caller of a step."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True, slots=True)
class Idle:
    cpu_percent: float
    rss_kb: int
    pss_kb: int


async def measure_idle(pids: list[int], seconds: float) -> Idle:
    before, started = await asyncio.to_thread(cpu_ticks, pids), time.monotonic()
    await asyncio.sleep(seconds)
    after, elapsed = await asyncio.to_thread(cpu_ticks, pids), time.monotonic() - started
    rss, pss = await asyncio.to_thread(memory_kb, pids)
    return Idle((after - before) / CLK_TCK / elapsed * 100, rss, pss)


@dataclass(frozen=True, slots=True, kw_only=True)
class Seen:
    """What the controller counted during a step (nothing for the baseline)."""

    answered: int | None = None
    """Calls answered and ended; None: no controller took part (the baseline)."""
    digits_missed: int = 0
    sessions_failed: int = 0
    """Bridged: sessions whose agent leg never connected, or whose recordings are missing or silent."""
    not_answered: int = 0
    refused: int = 0
    errors: int = 0
    restarts: int = 0
    missed: list[str] = field(default_factory=list)
    """Up to a few examples of what went wrong."""
    extra_cpu_seconds: float = 0.0
    """CPU the gateway spends after the calls (the stereo mix of each bridged session)."""


class Sampler:
    """Peak Rss/Pss of a set of processes, sampled every `_SAMPLE_SECONDS` while a step runs."""

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        self._pids = pids
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0

    async def run(self) -> None:
        while True:
            rss, pss = await asyncio.to_thread(memory_kb, self._pids())
            self.peak_rss_kb = max(self.peak_rss_kb, rss)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            await asyncio.sleep(_SAMPLE_SECONDS)
