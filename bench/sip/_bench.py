"""One bench set-up: the media workers (Kamailio in front when installed), the agents' phones for bridged
sessions, and the steps run against it; the baseline runs against a SIPp UAS instead.

What is measured is what the product would spend: the media workers and Kamailio (`measured_pids`), plus
for bridged sessions the stereo mixes the gateway runs after each call. Not counted: the SIPp caller (the
load generator, reported as `caller_cpu_percent`), the SIPp UAS standing in for agents' phones, and this
process, which stands in for the gateway's call logic.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.sip._bridged import BridgedController
from bench.sip._ivr import Controller, IvrController
from bench.sip._measure import (
    CLK_TCK,
    Idle,
    Sampler,
    Seen,
    children_cpu_seconds,
    cpu_ticks,
    measure_idle,
)
from bench.sip._options import BenchOptions
from bench.sip._report import StepResult, step_result
from bench.sip._scenarios import Scenario, free_udp_ports, write_files
from bench.sip._sipp import Sipp
from gateway.sip._supervisor import WorkerPool
from gateway.sip.kamailio import (
    FrontOptions,
    KamailioProcess,
    SipAddress,
    WorkerAddress,
    find_kamailio,
    plan_sip_front,
    render_config,
)
from gateway.sip.kamailio._process import group_members

__all__ = ["Bench", "step_seconds"]

logger = logging.getLogger("helpline.sip.bench")

_IDLE_SECONDS = 3.0
_SETTLE_SECONDS = 10.0
_SIPP_SLACK_SECONDS = 30.0


def _step_calls(n: int, options: BenchOptions) -> tuple[int, float]:
    calls = n + math.ceil(n * options.duration / options.hold_seconds)
    rate = options.calls_per_second or max(1.0, round(2 * n / options.hold_seconds, 1))
    return calls, rate


def step_seconds(n: int, options: BenchOptions) -> float:
    """A generous estimate of one step's length, for the time budget."""
    calls, rate = _step_calls(n, options)
    per_second = min(rate, n / options.hold_seconds)
    return calls / per_second + options.hold_seconds + 3


class Bench:
    def __init__(self, options: BenchOptions, folder: Path, sipp: Sipp) -> None:
        self.options = options
        self.folder = folder
        self.sipp = sipp
        self.files = write_files(folder, options.scenario, options.hold_seconds)
        self.agents_port = free_udp_ports(1)
        self.controller = self._controller()
        self.pool: WorkerPool | None = None
        self.kamailio: KamailioProcess | None = None
        self.agents: asyncio.subprocess.Process | None = None
        self.target_port = 0

    def _controller(self) -> Controller:
        if self.options.scenario is Scenario.BRIDGED:
            agent_uri = f"sip:agent@127.0.0.1:{self.agents_port}"
            return BridgedController(agent_uri, self.folder / "recordings")
        return IvrController(self.files.prompt)

    # --- set-up -----------------------------------------------------------------------------------

    def _pool(self, size: int, base_port: int, controller: Controller) -> WorkerPool:
        return WorkerPool(
            size=size,
            base_port=base_port,
            on_event=controller.on_event,
            on_worker_lost=controller.on_lost,
            python=self.options.worker_python or sys.executable,
            worker_args=self.options.worker_args,
            start_timeout=180.0,
        )

    async def probe_limit(self) -> tuple[int, str]:
        """Start one worker to learn its real call limit (the wheel's compile-time limit and select())."""
        probe = IvrController(self.files.prompt)
        pool = self._pool(1, free_udp_ports(1), probe)
        await pool.start()
        await pool.stop()
        return probe.limit, probe.version

    async def start(self, workers: int, use_kamailio: bool) -> str:
        if self.options.scenario is Scenario.BRIDGED:
            self.agents = await self.sipp.start_uas(
                self.files.answerer, port=self.agents_port, max_seconds=self.options.time_budget * 3 + 600
            )
        binary = find_kamailio() if use_kamailio else None
        base = free_udp_ports(workers + 1)
        plan = plan_sip_front(kamailio=binary, sip_port=base, workers=workers, worker_base_port=base + 1)
        if plan.warning and use_kamailio:
            logger.warning("%s", plan.warning)
        self.pool = self._pool(plan.worker_count, plan.worker_base_port, self.controller)
        self.controller.pool = self.pool
        await self.pool.start()
        if plan.kamailio is None:
            self.target_port = plan.worker_base_port
            return "single worker (no Kamailio)"
        await self._start_kamailio(plan.kamailio, SipAddress(plan.sip_host, plan.sip_port))
        self.target_port = plan.sip_port
        return "Kamailio dispatcher"

    async def _start_kamailio(self, binary: str, listen: SipAddress) -> None:
        assert self.pool is not None
        # A bridged session's agent leg is dialled in the caller's worker: a worker takes half as many.
        sessions = self.options.legs_per_session
        files = render_config(
            listen=listen,
            workers=[
                WorkerAddress(host="127.0.0.1", port=s.port, max_calls=max(1, s.limit // sessions))
                for s in self.pool.status()
            ],
            agents={},
            runtime_dir=self.folder / "kamailio",
            domain="bench.helpline.test",
            options=FrontOptions(),
            worker_private_host=self.pool.private_host,
        )
        self.kamailio = KamailioProcess(files, binary=binary)
        await self.kamailio.start()

    async def stop(self) -> None:
        if self.kamailio is not None:
            await self.kamailio.stop()
        if self.pool is not None:
            await self.pool.stop()
        if self.agents is not None:
            await self.sipp.stop(self.agents)

    def measured_pids(self) -> list[int]:
        pids = [s.pid for s in self.pool.status() if s.pid is not None] if self.pool is not None else []
        if self.kamailio is not None and self.kamailio.pid is not None:
            pids += group_members(self.kamailio.pid)
        return pids

    def restarts(self) -> int:
        return sum(s.restarts for s in self.pool.status()) if self.pool is not None else 0

    async def idle(self) -> Idle:
        return await measure_idle(await asyncio.to_thread(self.measured_pids), _IDLE_SECONDS)

    # --- steps ------------------------------------------------------------------------------------

    async def step(self, n: int, idle: Idle) -> StepResult:
        await self._settle()
        self.controller.reset()
        restarts = self.restarts()
        pids = await asyncio.to_thread(self.measured_pids)

        async def outcome() -> Seen:
            return await self.controller.outcome(self.restarts() - restarts)

        return await self._measure(n, pids, idle, self.target_port, outcome)

    async def baseline(self, n: int) -> StepResult:
        port = free_udp_ports(1)
        budget = step_seconds(n, self.options) * 2 + _SIPP_SLACK_SECONDS
        uas = await self.sipp.start_uas(self.files.answerer, port=port, max_seconds=budget + 30)

        async def nothing() -> Seen:
            return Seen()

        try:
            idle = await measure_idle([uas.pid], 1.0)
            return await self._measure(n, [uas.pid], idle, port, nothing)
        finally:
            await self.sipp.stop(uas)

    async def _measure(
        self, n: int, pids: list[int], idle: Idle, port: int, outcome: Callable[[], Awaitable[Seen]]
    ) -> StepResult:
        calls, rate = _step_calls(n, self.options)
        max_seconds = step_seconds(n, self.options) * 2 + _SIPP_SLACK_SECONDS
        sampler = Sampler(lambda: pids)
        sampling = asyncio.create_task(sampler.run())
        ticks = await asyncio.to_thread(cpu_ticks, pids)
        children = children_cpu_seconds()
        try:
            run = await self.sipp.run_uac(
                self.files.caller, target=port, limit=n, rate=rate, calls=calls, max_seconds=max_seconds
            )
            cpu = (await asyncio.to_thread(cpu_ticks, pids) - ticks) / CLK_TCK
            caller_cpu = children_cpu_seconds() - children
        finally:
            sampling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampling
        await self._settle()
        seen = await outcome()
        return step_result(
            n, calls=calls, rate=rate, run=run, seen=seen, cpu=cpu, caller_cpu=caller_cpu, idle=idle,
            peak_kb=(sampler.peak_rss_kb, sampler.peak_pss_kb),
        )  # fmt: skip

    async def _settle(self) -> None:
        """Wait until no call is up in any worker (and the closed RTP sockets are free again)."""
        deadline = time.monotonic() + _SETTLE_SECONDS
        while time.monotonic() < deadline:
            busy = self.controller.active or (
                self.pool is not None and any(s.active for s in self.pool.status())
            )
            if not busy:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.6)
