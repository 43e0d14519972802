"""Live calls beside a transcription backlog: the SIP bench's IVR step at a fixed N, run twice on the same
media workers (and Kamailio when installed): alone, then while the gateway's `TranscriptionService` is kept
busy (its backlog refilled as jobs finish) transcribing the speech benchmark's audio. A success is what the
SIP bench counts as one (SIPp's call as written, the digits 1 5 # heard exactly); the figures are the
failures, the calls per second and the workers' CPU per call, with the transcriptions finished meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.sip._bench import Bench
from bench.sip._options import BenchOptions
from bench.sip._report import StepResult
from bench.sip._sipp import Sipp
from gateway.sip.kamailio import find_kamailio
from gateway.speech import LegFile, TranscriptionJob, TranscriptionService

__all__ = ["ivr_beside_backlog"]


def _figures(step: StepResult) -> dict[str, float]:
    return {
        "failures": step.failures,
        "calls_per_second": round(step.calls_per_second, 2),
        "cpu_percent_per_call": round(step.cpu_percent_per_call, 2),
        "peak_concurrency": step.peak_concurrency,
    }


async def _keep_busy(service: TranscriptionService, wav: Path, out: Path, done: list[int]) -> None:
    """Keep the service's backlog full: a new job for each one submitted (submit waits while it is full)."""
    pending: set[asyncio.Future[Any]] = set()
    try:
        while True:
            future = await service.submit(TranscriptionJob("bench", None, (LegFile("caller", wav),), out))
            pending.add(future)
            future.add_done_callback(lambda f: _finished(f, pending, done))
    finally:
        for future in pending:
            future.cancel()


def _finished(future: asyncio.Future[Any], pending: set[asyncio.Future[Any]], done: list[int]) -> None:
    pending.discard(future)
    if not future.cancelled() and future.exception() is None:
        done.append(1)


async def ivr_beside_backlog(
    n: int, model_dir: Path, wav: Path, *, workers: int, backlog: int
) -> dict[str, Any]:
    """The IVR step at `n` calls alone and beside `workers` transcription processes with a full backlog."""
    sipp_binary = shutil.which("sipp")
    if sipp_binary is None:
        raise RuntimeError("`sipp` is not installed: install the Debian package `sip-tester`")
    # 30 s of call starts: long enough for the backlog to finish some transcriptions during the step
    options = BenchOptions(max_concurrent=n, start_concurrent=n, duration=30.0)
    with tempfile.TemporaryDirectory(prefix="helpline-bench-speech-ivr-") as temp:
        folder = Path(temp)
        sipp = Sipp(sipp_binary, folder)
        bench = await asyncio.to_thread(Bench, options, folder, sipp)
        try:
            limit, _ = await bench.probe_limit()
            use_kamailio = find_kamailio() is not None
            media_workers = max(1, math.ceil(n / max(1, limit))) if use_kamailio else 1
            await bench.start(media_workers, use_kamailio)
            idle = await bench.idle()
            alone = await bench.step(n, idle)
            busy, finished, waiting = await _beside(bench, n, idle, model_dir, wav, workers, backlog)
        finally:
            await bench.stop()
            await sipp.close()
    return {
        "calls": n,
        "transcription_workers": workers,
        "ivr_alone": _figures(alone),
        "ivr_beside_backlog": _figures(busy),
        "transcriptions_finished_meanwhile": finished,
        "backlog_waiting_at_end": waiting,  # jobs still queued behind the busy workers when the step ended
    }


async def _beside(
    bench: Bench, n: int, idle: Any, model_dir: Path, wav: Path, workers: int, backlog: int
) -> tuple[StepResult, int, int]:
    service = TranscriptionService(model_dir=model_dir, workers=workers, backlog=backlog)
    await service.start()
    done: list[int] = []
    out = wav.with_suffix(".ivr.json")
    try:
        warm = await service.submit(TranscriptionJob("bench", None, (LegFile("caller", wav),), out))
        await warm  # the model is loaded in the worker before the step starts
        feeder = asyncio.create_task(_keep_busy(service, wav, out, done))
        try:
            step = await bench.step(n, idle)
            waiting = service.waiting
        finally:
            feeder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feeder
        return step, len(done), waiting
    finally:
        await service.stop()
