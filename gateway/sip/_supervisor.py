"""The gateway's side of the media workers: start N worker processes, relay their events, restart the dead.

Worker `i` listens on `base_port + i` and keeps that port across restarts, so the SIP dispatcher in front
needs no change when a worker is replaced. On a loopback host that port is owned by the worker's SIP guard
(see `_guard`), with pjsua on the same port of `private_host`. A worker that stops answering (stopped, or
stuck inside pjsua) is found by a heartbeat: a `Ping` every `ping_interval` seconds must be followed by
some frame within `ping_timeout`, else the worker is killed and handled like one that died. Everything
here is asyncio; no call blocks the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from gateway.sip._codec import encode, parse_event
from gateway.sip._protocol import (
    MAX_FRAME_BYTES,
    Command,
    Dialing,
    Disconnected,
    Event,
    Incoming,
    Load,
    Ping,
    Pong,
    Ready,
    Shutdown,
)
from gateway.sip._worker_log import log_worker_line
from gateway.sip.errors import ProtocolError, WorkerUnavailableError

__all__ = ["EventHandler", "LostCallsHandler", "WorkerPool", "WorkerStatus", "guard_private_host"]

logger = logging.getLogger("helpline.sip")

EventHandler = Callable[[int, Event], Awaitable[None]]
"""Receives (worker id, event) for every event of every worker, in order per worker."""
LostCallsHandler = Callable[[int, tuple[str, ...]], Awaitable[None]]
"""Receives (worker id, call ids) when a worker died with those calls up."""

_STABLE_UPTIME = 30.0
_PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerStatus:
    worker_id: int
    port: int
    pid: int | None
    ready: bool
    limit: int
    active: int
    restarts: int


class _Slot:
    """One worker position: the current process, if any, and what it told us."""

    def __init__(self, worker_id: int, port: int) -> None:
        self.worker_id = worker_id
        self.port = port
        self.process: asyncio.subprocess.Process | None = None
        self.ready = asyncio.Event()
        self.calls: set[str] = set()
        self.limit = 0
        self.active = 0
        self.restarts = 0
        self.heard = 0.0
        """When the current process last sent a frame (monotonic clock)."""

    def attach(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.ready.clear()
        self.calls.clear()
        self.limit = self.active = 0

    def detach(self) -> tuple[str, ...]:
        lost = tuple(sorted(self.calls))
        self.process = None
        self.ready.clear()
        self.calls.clear()
        self.active = 0
        return lost

    def track(self, event: Event) -> None:
        match event:
            case Ready():
                self.limit = event.limit
                self.ready.set()
            case Incoming() | Dialing():
                self.calls.add(event.call_id)
            case Disconnected():
                self.calls.discard(event.call_id)
            case Load():
                self.active, self.limit = event.active, event.limit
            case _:
                pass

    def status(self) -> WorkerStatus:
        return WorkerStatus(
            worker_id=self.worker_id,
            port=self.port,
            pid=self.process.pid if self.process is not None else None,
            ready=self.ready.is_set(),
            limit=self.limit,
            active=self.active,
            restarts=self.restarts,
        )


class WorkerPool:
    """Runs `size` media workers and keeps them running until `stop()`."""

    def __init__(
        self,
        *,
        size: int,
        base_port: int,
        on_event: EventHandler,
        on_worker_lost: LostCallsHandler,
        host: str = "127.0.0.1",
        worker_args: Sequence[str] = (),
        python: str = sys.executable,
        start_timeout: float = 15.0,
        stop_timeout: float = 5.0,
        ping_interval: float = 5.0,
        ping_timeout: float = 5.0,
        restart_delay: float = 0.5,
        max_restart_delay: float = 30.0,
        guard: bool = True,
    ) -> None:
        if size < 1:
            raise ValueError(f"worker pool: size must be >= 1, got {size}")
        if not 1 <= base_port <= 65535 - size + 1:
            raise ValueError(f"worker pool: base_port must leave room for {size} ports, got {base_port}")
        if restart_delay <= 0 or max_restart_delay < restart_delay:
            raise ValueError("worker pool: need 0 < restart_delay <= max_restart_delay")
        if ping_interval <= 0 or ping_timeout <= 0:
            raise ValueError("worker pool: ping_interval and ping_timeout must be > 0")
        self._slots = [_Slot(index, base_port + index) for index in range(size)]
        self._on_event = on_event
        self._on_worker_lost = on_worker_lost
        self._host = host
        self._worker_args = tuple(worker_args)
        self.private_host = guard_private_host(host) if guard else None
        """Where the workers' pjsua listen behind their guards; None: unguarded."""
        if guard and self.private_host is None:
            logger.warning("media workers on %s run without a SIP guard: it needs a loopback host", host)
        self._python = python
        self._start_timeout = start_timeout
        self._stop_timeout = stop_timeout
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._restart_delay = restart_delay
        self._max_restart_delay = max_restart_delay
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False

    # --- life cycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start every worker and return once all are ready; raise TimeoutError if one is not."""
        self._closing = False
        self._tasks = [
            asyncio.create_task(self._supervise(slot), name=f"sip-worker-{slot.worker_id}")
            for slot in self._slots
        ]
        try:
            async with asyncio.timeout(self._start_timeout):
                await self.wait_ready()
        except TimeoutError:
            not_ready = [slot.worker_id for slot in self._slots if not slot.ready.is_set()]
            logger.error(
                "media workers %s not ready in %.0f s: stopping the pool", not_ready, self._start_timeout
            )
            await self.stop()
            raise

    async def wait_ready(self) -> None:
        """Return once every worker has said `ready` (after a restart too); bound it with a timeout."""
        await asyncio.gather(*(slot.ready.wait() for slot in self._slots))

    async def stop(self) -> None:
        """Ask every worker to hang up and exit; kill the ones that do not within `stop_timeout`."""
        self._closing = True
        processes = [slot.process for slot in self._slots if slot.process is not None]
        for slot in self._slots:
            with contextlib.suppress(WorkerUnavailableError):
                await self.send(slot.worker_id, Shutdown())
        await asyncio.gather(*(self._reap(process) for process in processes))
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    # --- use --------------------------------------------------------------------------------------

    async def send(self, worker_id: int, command: Command) -> None:
        slot = self._slots[worker_id]
        process = slot.process
        if process is None or process.stdin is None or process.returncode is not None:
            raise WorkerUnavailableError(worker_id)
        try:
            process.stdin.write(encode(command).encode())
            await process.stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise WorkerUnavailableError(worker_id) from exc

    def status(self) -> tuple[WorkerStatus, ...]:
        return tuple(slot.status() for slot in self._slots)

    def worker_of(self, call_id: str) -> int | None:
        """The worker carrying `call_id`; a call and its agent leg must be bridged in that worker."""
        for slot in self._slots:
            if call_id in slot.calls:
                return slot.worker_id
        return None

    # --- supervision ------------------------------------------------------------------------------

    async def _supervise(self, slot: _Slot) -> None:
        # A worker that dies after running well is replaced at once (its port takes callers again within
        # its start-up time); only one that keeps dying within `_STABLE_UPTIME` waits, doubling each time.
        delay = 0.0
        while not self._closing:
            started = time.monotonic()
            await self._run_once(slot)
            if self._closing:
                return
            if time.monotonic() - started >= _STABLE_UPTIME:
                delay = 0.0
            logger.info("restarting media worker %d in %.1f s", slot.worker_id, delay)
            await asyncio.sleep(delay)
            delay = min(max(delay * 2, self._restart_delay), self._max_restart_delay)
            slot.restarts += 1

    async def _run_once(self, slot: _Slot) -> None:
        try:
            process = await self._spawn(slot)
        except OSError:
            logger.exception("media worker %d could not be started", slot.worker_id)
            return
        slot.attach(process)
        slot.heard = time.monotonic()
        watch = asyncio.create_task(self._watch(slot, process), name=f"sip-worker-{slot.worker_id}-ping")
        log = asyncio.create_task(
            _relay_log(slot.worker_id, process), name=f"sip-worker-{slot.worker_id}-log"
        )
        try:
            await self._pump(slot, process)
            code = await process.wait()
            await log  # the worker's last words (a crash trace) come before the news of its exit
        finally:
            for task in (watch, log):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        lost = slot.detach()
        if self._closing and not lost:
            return
        logger.warning(
            "media worker %d (pid %d) exited with %s; %d call(s) lost",
            slot.worker_id,
            process.pid,
            code,
            len(lost),
        )
        await self._report_lost(slot.worker_id, lost)

    async def _spawn(self, slot: _Slot) -> asyncio.subprocess.Process:
        argv = [self._python, "-m", "gateway.sip.worker", "--host", self._host, "--port", str(slot.port)]
        if self.private_host is not None:
            argv += ["--private-host", self.private_host]
        return await asyncio.create_subprocess_exec(
            *argv,
            *self._worker_args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,  # its log, relayed through this process's logging
            limit=2 * MAX_FRAME_BYTES,
            env=self._environment(),
        )

    def _environment(self) -> dict[str, str] | None:
        """Another interpreter (another venv, another pjsua2 wheel) finds this checkout's `gateway` too."""
        if self._python == sys.executable:
            return None
        paths = [_PROJECT_ROOT, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}

    async def _watch(self, slot: _Slot, process: asyncio.subprocess.Process) -> None:
        """Kill the worker when it is not ready within `start_timeout`, or leaves a ping unanswered."""
        try:
            async with asyncio.timeout(self._start_timeout):
                await slot.ready.wait()
        except TimeoutError:
            self._kill(slot, process, f"was not ready within {self._start_timeout:g} s")
            return
        while process.returncode is None and not self._closing:
            sent = time.monotonic()
            self._ping(process)
            await asyncio.sleep(self._ping_timeout)
            if slot.heard < sent and process.returncode is None and not self._closing:
                self._kill(slot, process, f"did not answer a ping within {self._ping_timeout:g} s")
                return
            await asyncio.sleep(max(0.0, self._ping_interval - self._ping_timeout))

    def _ping(self, process: asyncio.subprocess.Process) -> None:
        # Written without waiting for `drain`: a stopped worker's full pipe must not hold the watcher.
        if process.stdin is not None and not process.stdin.is_closing():
            with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                process.stdin.write(encode(Ping()).encode())

    def _kill(self, slot: _Slot, process: asyncio.subprocess.Process, why: str) -> None:
        logger.error(
            "media worker %d (pid %d) %s: killing it (%d call(s) up)",
            slot.worker_id,
            process.pid,
            why,
            len(slot.calls),
        )
        with contextlib.suppress(ProcessLookupError):
            process.kill()

    async def _pump(self, slot: _Slot, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            slot.heard = time.monotonic()
            try:
                event = parse_event(line)
            except ProtocolError as exc:
                logger.warning("media worker %d sent a malformed frame: %s", slot.worker_id, exc)
                continue
            if isinstance(event, Pong):
                continue  # `heard` above is all the heartbeat needs
            slot.track(event)
            await self._deliver(slot.worker_id, event)

    async def _deliver(self, worker_id: int, event: Event) -> None:
        try:
            await self._on_event(worker_id, event)
        except Exception:
            logger.exception("event handler failed on %s from media worker %d", event.TYPE, worker_id)

    async def _report_lost(self, worker_id: int, lost: tuple[str, ...]) -> None:
        try:
            await self._on_worker_lost(worker_id, lost)
        except Exception:
            logger.exception("lost-calls handler failed for media worker %d", worker_id)

    async def _reap(self, process: asyncio.subprocess.Process) -> None:
        try:
            async with asyncio.timeout(self._stop_timeout):
                await process.wait()
        except TimeoutError:
            logger.warning("media worker pid %d did not stop in time: killing it", process.pid)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


async def _relay_log(worker_id: int, process: asyncio.subprocess.Process) -> None:
    assert process.stderr is not None
    while True:
        try:
            line = await process.stderr.readline()
        except ValueError:  # a line longer than the stream's limit: skipped, the rest still relayed
            logger.warning("media worker %d wrote an overlong log line", worker_id)
            continue
        if not line:
            return
        log_worker_line(worker_id, line)


def guard_private_host(host: str) -> str | None:
    """The loopback address pjsua listens on behind a guard on `host`, or None if `host` cannot have one.

    pjsua's own requests leave from this address, and a loopback source can only reach loopback addresses:
    so only workers on an IPv4 loopback address (as behind Kamailio on the same machine) are guarded.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if address.version != 4 or not address.is_loopback:
        return None
    return "127.0.0.3" if host == "127.0.0.2" else "127.0.0.2"
