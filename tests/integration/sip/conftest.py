"""Real media workers driven by real SIPp callers, all on 127.0.0.1 with ports picked at run time."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pytest
from blockbuster import BlockBuster, blockbuster_ctx

from bench.sip._scenarios import free_udp_ports as free_udp_ports  # for the other suites
from gateway.sip import Answer, CallState, Disconnected, Event, Incoming, Load, Play, State, WorkerPool

SCENARIOS = Path(__file__).parent / "scenarios"
PCAP_DIRS = (Path("/usr/share/sip-tester"), Path("/usr/share/sipp"), Path("/usr/local/share/sipp/pcap"))
RFC4733_DIGITS = ("1", "5", "#")
INFO_DIGITS = ("7",)

Predicate = Callable[[int, Event], bool]
PoolFactory = Callable[..., AbstractAsyncContextManager["Pool"]]


@pytest.fixture(autouse=True)
def blockbuster() -> Iterator[BlockBuster]:
    """The pool runs inside the gateway's event loop: any blocking call there fails the test."""
    with blockbuster_ctx(["gateway"]) as bb:
        yield bb


def need(binary: str, package: str) -> str:
    path = shutil.which(binary)
    if path is None:
        pytest.fail(f"`{binary}` is not installed: these tests need the Debian package `{package}`")
    return path


@pytest.fixture(scope="session")
def sipp() -> str:
    return need("sipp", "sip-tester")


@pytest.fixture(scope="session")
def pcap_dir() -> Path:
    for folder in PCAP_DIRS:
        if (folder / "dtmf_2833_1.pcap").is_file():
            return folder
    pytest.fail(f"SIPp's RFC 2833 pcaps (dtmf_2833_1.pcap) are in none of {[str(d) for d in PCAP_DIRS]}")


@pytest.fixture(scope="session")
def prompt_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A spoken prompt, 8 kHz mono 16-bit, about 2.9 s long."""
    folder = tmp_path_factory.mktemp("prompts")
    raw, wav = folder / "raw.wav", folder / "welcome.wav"
    subprocess.run(
        [need("espeak-ng", "espeak-ng"), "-w", str(raw), "Welcome to Helpline. Press one."], check=True
    )
    subprocess.run([need("sox", "sox"), str(raw), "-r", "8000", "-c", "1", "-b", "16", str(wav)], check=True)
    return wav


class EventLog:
    """Every event seen, in order, with a way to wait for one that matches."""

    def __init__(self) -> None:
        self.items: list[tuple[int, Event]] = []
        self._changed = asyncio.Condition()

    async def add(self, worker_id: int, event: Event) -> None:
        async with self._changed:
            self.items.append((worker_id, event))
            self._changed.notify_all()

    async def wait_for(self, predicate: Predicate, *, within: float = 15.0) -> Event:
        async with asyncio.timeout(within), self._changed:
            while True:
                for worker_id, event in self.items:
                    if predicate(worker_id, event):
                        return event
                await self._changed.wait()

    def of(self, kind: type[Event], worker_id: int | None = None) -> list[Event]:
        return [e for w, e in self.items if isinstance(e, kind) and worker_id in (None, w)]

    async def wait_idle(self, hang_ups: int, worker_id: int = 0, *, within: float = 15.0) -> None:
        """Until the worker reported `hang_ups` calls ended and then its load with no call active: it sends
        each `Disconnected` before the `Load` it changed (and SIPp may exit before either arrives)."""

        def idle(*_: object) -> bool:
            mine = [e for w, e in self.items if w == worker_id and isinstance(e, Disconnected | Load)]
            ended = sum(isinstance(e, Disconnected) for e in mine)
            return ended >= hang_ups and isinstance(mine[-1], Load) and mine[-1].active == 0

        await self.wait_for(idle, within=within)


@dataclass
class Pool:
    """A running `WorkerPool` whose calls are answered with the prompt, as the IVR would."""

    pool: WorkerPool
    events: EventLog
    lost: list[tuple[int, tuple[str, ...]]]
    base_port: int

    def port(self, worker_id: int) -> int:
        return self.base_port + worker_id


class CallsOnTwoWorkers(NamedTuple):
    """A long call confirmed on worker 0 (the one about to fail) and a shorter one on worker 1."""

    doomed: asyncio.subprocess.Process
    bystander: asyncio.subprocess.Process
    doomed_call: Incoming
    doomed_pid: int


def confirmed(worker_id: int) -> Predicate:
    return lambda w, e: w == worker_id and isinstance(e, State) and e.state is CallState.CONFIRMED


async def calls_on_two_workers(pool: Pool, sipp: Sipp, *, bystander_ms: int) -> CallsOnTwoWorkers:
    doomed = await sipp.start(sipp.scenario("ivr_caller.xml", hold_ms=30_000), pool.port(0))
    bystander = await sipp.start(sipp.scenario("ivr_caller.xml", hold_ms=bystander_ms), pool.port(1))
    await pool.events.wait_for(confirmed(0))
    await pool.events.wait_for(confirmed(1))
    [doomed_call] = pool.events.of(Incoming, worker_id=0)
    assert isinstance(doomed_call, Incoming)
    pid = pool.pool.status()[0].pid
    assert pid is not None
    return CallsOnTwoWorkers(doomed, bystander, doomed_call, pid)


@pytest.fixture
def start_pool(prompt_wav: Path) -> PoolFactory:
    @asynccontextmanager
    async def start(size: int, *worker_args: str, **pool_options: float) -> AsyncIterator[Pool]:
        events = EventLog()
        lost: list[tuple[int, tuple[str, ...]]] = []
        holder: list[WorkerPool] = []

        async def on_event(worker_id: int, event: Event) -> None:
            await events.add(worker_id, event)
            if isinstance(event, Incoming):
                await holder[0].send(worker_id, Answer(call_id=event.call_id))
                await holder[0].send(worker_id, Play(call_id=event.call_id, file=str(prompt_wav)))

        async def on_worker_lost(worker_id: int, call_ids: tuple[str, ...]) -> None:
            lost.append((worker_id, call_ids))

        base = free_udp_ports(size)
        pool = WorkerPool(
            size=size,
            base_port=base,
            on_event=on_event,
            on_worker_lost=on_worker_lost,
            worker_args=worker_args,
            **pool_options,  # type: ignore[arg-type]  # WorkerPool's float timeouts and delays
        )
        holder.append(pool)
        await pool.start()
        try:
            yield Pool(pool=pool, events=events, lost=lost, base_port=base)
        finally:
            await pool.stop()

    return start


@dataclass
class Sipp:
    """SIPp as the caller: one run of a scenario against one worker."""

    binary: str
    pcap_dir: Path
    folder: Path

    def scenario(self, name: str, *, hold_ms: int = 3500) -> Path:
        text = (SCENARIOS / name).read_text()
        text = text.replace("@PCAP_DIR@", str(self.pcap_dir)).replace("@HOLD_MS@", str(hold_ms))
        path = self.folder / f"{hold_ms}-{name}"
        path.write_text(text)
        return path

    async def start(
        self, scenario: Path, port: int, *, calls: int = 1, concurrent: int = 1, max_seconds: int = 40
    ) -> asyncio.subprocess.Process:
        sip_port = free_udp_ports(1)
        media_port = free_udp_ports(4)
        argv = [
            self.binary, f"127.0.0.1:{port}", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(sip_port),
            "-mi", "127.0.0.1", "-mp", str(media_port), "-m", str(calls), "-l", str(concurrent),
            "-r", "10", "-timeout", f"{max_seconds}s", "-timeout_error", "-recv_timeout", "10000",
            "-nostdin", "-trace_err", "-error_file", str(self.folder / f"errors-{sip_port}.log"),
        ]  # fmt: skip
        return await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )

    async def run(self, scenario: Path, port: int, **options: int) -> tuple[int, str]:
        """Run to the end; the exit status (0: every call went as the scenario says) and SIPp's errors."""
        process = await self.start(scenario, port, **options)
        _, stderr = await process.communicate()
        return process.returncode or 0, stderr.decode(errors="replace") + self.errors()

    def errors(self) -> str:
        return "".join(path.read_text(errors="replace") for path in sorted(self.folder.glob("errors-*.log")))


@pytest.fixture
def sipp_caller(sipp: str, pcap_dir: Path, tmp_path: Path) -> Sipp:
    return Sipp(binary=sipp, pcap_dir=pcap_dir, folder=tmp_path)
