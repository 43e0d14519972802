"""SIPp runs: the caller (UAC) of each step, and the answerer (UAS) of the baseline and the agents' phones.

Every SIPp runs in its own process group and is killed, with its children, on `stop` or `close`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from bench.sip._scenarios import free_udp_ports

__all__ = ["Sipp", "SippRun", "read_stats"]

logger = logging.getLogger("helpline.sip.bench")


@dataclass(slots=True, kw_only=True)
class SippRun:
    returncode: int | None
    successful: int
    failed: int
    peak: int
    call_seconds: float
    seconds: float


def read_stats(path: Path) -> tuple[int, int, int, float]:
    """(successful, failed, peak concurrency, call-seconds) from SIPp's `-trace_stat` file."""
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return 0, 0, 0, 0.0
    if len(lines) < 2:
        return 0, 0, 0, 0.0
    header = lines[0].split(";")
    column = {name: index for index, name in enumerate(header)}
    rows = [line.split(";") for line in lines[1:]]
    rows = [row for row in rows if len(row) >= len(header) - 1]
    if not rows:
        return 0, 0, 0, 0.0

    def value(row: list[str], name: str) -> int:
        return int(row[column[name]])

    def stamp(row: list[str]) -> float:
        return float(row[column["CurrentTime"]].split("\t")[-1])

    peak = max(value(row, "CurrentCall") for row in rows)
    call_seconds = 0.0
    for before, after in itertools.pairwise(rows):
        call_seconds += value(before, "CurrentCall") * max(0.0, stamp(after) - stamp(before))
    last = rows[-1]
    return value(last, "SuccessfulCall(C)"), value(last, "FailedCall(C)"), peak, call_seconds


class Sipp:
    """Runs SIPp processes in their own process groups and kills every one still running on `close`."""

    def __init__(self, binary: str, folder: Path) -> None:
        self._binary = binary
        self._folder = folder
        self._running: set[asyncio.subprocess.Process] = set()
        self._serial = 0

    async def start_uas(self, scenario: Path, *, port: int, max_seconds: float) -> asyncio.subprocess.Process:
        media = free_udp_ports(4)
        argv = [
            self._binary, "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port),
            "-mi", "127.0.0.1", "-mp", str(media), "-nostdin",
            "-timeout", f"{math.ceil(max_seconds)}s", "-max_recv_loops", "10000",
        ]  # fmt: skip
        process = await self._spawn(argv)
        await asyncio.sleep(0.5)
        if process.returncode is not None:
            raise RuntimeError(f"the SIPp UAS exited at start with status {process.returncode}")
        return process

    async def run_uac(
        self, scenario: Path, *, target: int, limit: int, rate: float, calls: int, max_seconds: float
    ) -> SippRun:
        self._serial += 1
        stats = self._folder / f"uac-{self._serial}.csv"
        port, media = free_udp_ports(1), free_udp_ports(4)
        argv = [
            self._binary, f"127.0.0.1:{target}", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port),
            "-mi", "127.0.0.1", "-mp", str(media), "-s", "ivr",
            "-l", str(limit), "-r", f"{rate:g}", "-m", str(calls), "-nostdin",
            "-timeout", f"{math.ceil(max_seconds)}s", "-timeout_error", "-recv_timeout", "15000",
            "-trace_stat", "-stf", str(stats), "-fd", "1", "-max_recv_loops", "10000",
        ]  # fmt: skip
        started = time.monotonic()
        process = await self._spawn(argv)
        try:
            async with asyncio.timeout(max_seconds + 10):
                await process.wait()
        except TimeoutError:
            logger.warning("SIPp did not end in %.0f s: killed", max_seconds + 10)
        finally:
            await self.stop(process)
        seconds = time.monotonic() - started
        successful, failed, peak, call_seconds = await asyncio.to_thread(read_stats, stats)
        return SippRun(
            returncode=process.returncode, successful=successful, failed=failed, peak=peak,
            call_seconds=call_seconds, seconds=seconds,
        )  # fmt: skip

    async def stop(self, process: asyncio.subprocess.Process) -> None:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        self._running.discard(process)

    async def close(self) -> None:
        for process in list(self._running):
            await self.stop(process)

    async def _spawn(self, argv: list[str]) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            cwd=self._folder,
            start_new_session=True,
        )
        self._running.add(process)
        return process
