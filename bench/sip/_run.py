"""The bench's run: the search for the largest N with 0 failures, then the baseline at that N."""

from __future__ import annotations

import asyncio
import logging
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.sip._bench import Bench, step_seconds
from bench.sip._measure import Idle
from bench.sip._options import BenchOptions
from bench.sip._report import BenchReport, StepResult
from bench.sip._sipp import Sipp
from gateway.sip.kamailio import find_kamailio

__all__ = ["run"]

logger = logging.getLogger("helpline.sip.bench")


async def _search(bench: Bench, report: BenchReport, idle: Idle, top: int) -> StepResult | None:
    options = bench.options
    deadline = time.monotonic() + options.time_budget
    best: StepResult | None = None
    bad: int | None = None
    n = min(top, options.start_concurrent)
    while n >= 1:
        # Keep room for the baseline, which runs at the best N found so far (or at this one).
        needed = step_seconds(n, options) + step_seconds(max(n, best.target if best else 0), options)
        if time.monotonic() + needed > deadline:
            report.stopped_by_budget = True
            break
        result = await bench.step(n, idle)
        report.steps.append(result)
        logger.info("N=%d: %d failure(s), peak %d", n, result.failures, result.peak_concurrency)
        if result.ok:
            best = result
            if n >= top:
                break
            n = min(top, n * 2) if bad is None else (n + bad) // 2
        else:
            bad = n
            n = ((best.target if best else 0) + bad) // 2
        low = best.target if best else 0
        if bad is not None and (bad - low <= max(1, low // 16) or n <= low):
            break
    return best


async def run(options: BenchOptions) -> BenchReport:
    sipp_binary = shutil.which("sipp")
    if sipp_binary is None:
        raise RuntimeError("`sipp` is not installed: install the Debian package `sip-tester`")
    with tempfile.TemporaryDirectory(prefix="helpline-bench-sip-") as temp:
        folder = Path(temp)
        sipp = Sipp(sipp_binary, folder)
        bench = await asyncio.to_thread(Bench, options, folder, sipp)
        try:
            return await _run(bench, options)
        finally:
            await bench.stop()
            await sipp.close()


async def _run(bench: Bench, options: BenchOptions) -> BenchReport:
    limit, version = await bench.probe_limit()
    per_worker = max(1, limit // options.legs_per_session)
    use_kamailio = options.kamailio and find_kamailio() is not None
    workers = options.workers or max(1, math.ceil(options.max_concurrent / per_worker))
    notes = []
    if not use_kamailio:
        workers = 1
        notes.append("Kamailio not used: one worker, so N is at most its call limit")
    front = await bench.start(workers, use_kamailio)
    idle = await bench.idle()
    report = BenchReport(
        scenario=options.scenario, library=version, worker_python=options.worker_python or sys.executable,
        worker_args=list(options.worker_args), front=front, workers=workers, worker_limit=limit,
        hold_seconds=options.hold_seconds, duration=options.duration,
        idle_cpu_percent=round(idle.cpu_percent, 2), idle_rss_mb=round(idle.rss_kb / 1024, 1),
        idle_pss_mb=round(idle.pss_kb / 1024, 1), notes=notes,
    )  # fmt: skip
    top = min(options.max_concurrent, workers * per_worker)
    if top < options.max_concurrent:
        notes.append(
            f"searched up to {top} only: {workers} worker(s) x {per_worker} sessions < --max-concurrent "
            f"{options.max_concurrent}"
        )
    report.best = best = await _search(bench, report, idle, top)
    if best is not None:
        await _compare(bench, report, best)
    return report


async def _compare(bench: Bench, report: BenchReport, best: StepResult) -> None:
    report.baseline = baseline = await bench.baseline(best.target)
    if baseline.cpu_seconds > 0:
        report.cpu_ratio = round(best.cpu_seconds / baseline.cpu_seconds, 2)
    if best.cpu_percent_per_call > 0:
        report.calls_per_core = round(100 / best.cpu_percent_per_call, 1)
    if best.cpu_percent_per_call_over_idle > 0:
        report.calls_per_core_over_idle = round(100 / best.cpu_percent_per_call_over_idle, 1)
    if not baseline.ok:
        report.notes.append(f"the baseline had {baseline.failures} failure(s) at N={baseline.target}")
