"""Real Kamailio in front of real media workers, driven by real SIPp phones and callers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import logging.handlers
import queue
import re
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest
from blockbuster import BlockBuster, blockbuster_ctx

from gateway.config import load_config
from gateway.sip import Answer, Event, Hangup, Incoming, Play, WorkerPool
from gateway.sip.kamailio import (
    KamailioFiles,
    KamailioProcess,
    SipAddress,
    SipLimits,
    WorkerAddress,
    find_kamailio,
    render_config,
)
from tests.integration.sip.conftest import EventLog, free_udp_ports, need

SCENARIOS = Path(__file__).parent / "scenarios"
DEMO = Path(__file__).parents[3] / "gateway" / "demo" / "helpline.yaml"
DOMAIN = "helpline.test"


@pytest.fixture(autouse=True)
def blockbuster() -> Iterator[BlockBuster]:
    """Kamailio and the pool run inside the gateway's event loop: any blocking call there fails the test."""
    with blockbuster_ctx(["gateway"]) as bb:
        yield bb


@pytest.fixture(scope="session")
def kamailio() -> str:
    binary = find_kamailio()
    if binary is None:
        pytest.fail("`kamailio` is not installed: these tests need the Debian package `kamailio`")
    return binary


@pytest.fixture(scope="session")
def sipp() -> str:
    return need("sipp", "sip-tester")


@pytest.fixture(scope="session")
def demo_agents() -> dict[str, str]:
    """SIP user -> password of the demo configuration's agents."""
    config = load_config(DEMO)
    agents = {user.sip.user: user.sip.password for user in config.users if user.sip is not None}
    assert len(agents) >= 2, "the demo configuration should give at least two agents SIP accounts"
    return agents


@pytest.fixture(scope="session")
def prompt_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short spoken prompt, 8 kHz mono 16-bit."""
    folder = tmp_path_factory.mktemp("prompts")
    raw, wav = folder / "raw.wav", folder / "welcome.wav"
    subprocess.run([need("espeak-ng", "espeak-ng"), "-w", str(raw), "Welcome to Helpline."], check=True)
    subprocess.run([need("sox", "sox"), str(raw), "-r", "8000", "-c", "1", "-b", "16", str(wav)], check=True)
    return wav


@dataclass
class GatewayLog:
    """The gateway's log as `helpline serve` writes it at its default level (INFO), kept in a file."""

    path: Path
    pending: queue.Queue[logging.LogRecord]

    def size(self) -> int:
        self.pending.join()  # every line logged so far is in the file
        return self.path.stat().st_size

    def text(self) -> str:
        self.pending.join()
        return self.path.read_text(errors="replace")


@pytest.fixture
def gateway_log(tmp_path: Path) -> Iterator[GatewayLog]:
    # Written by a thread, as a blocking file write in the event loop would fail the blockbuster check.
    path = tmp_path / "gateway.log"
    file = logging.FileHandler(path)
    file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    pending: queue.Queue[logging.LogRecord] = queue.Queue()
    handler = logging.handlers.QueueHandler(pending)
    handler.setLevel(logging.INFO)
    listener = logging.handlers.QueueListener(pending, file)
    root = logging.getLogger("helpline")
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    listener.start()
    try:
        yield GatewayLog(path, pending)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        listener.stop()
        file.close()


@dataclass
class Front:
    """Media workers answering with the prompt, and Kamailio in front of them."""

    pool: WorkerPool
    events: EventLog
    kamailio: KamailioProcess
    files: KamailioFiles
    base_port: int

    @property
    def port(self) -> int:
        return self.files.listen.port

    def worker_port(self, worker_id: int) -> int:
        return self.base_port + worker_id


class FrontFactory(Protocol):
    def __call__(
        self,
        size: int,
        *worker_args: str,
        dead_workers: int = 0,
        limits: SipLimits | None = None,
        answer_only: str | None = None,
    ) -> AbstractAsyncContextManager[Front]: ...


@pytest.fixture
def start_front(kamailio: str, demo_agents: dict[str, str], prompt_wav: Path, tmp_path: Path) -> FrontFactory:
    @asynccontextmanager
    async def start(
        size: int,
        *worker_args: str,
        dead_workers: int = 0,
        limits: SipLimits | None = None,
        answer_only: str | None = None,
    ) -> AsyncIterator[Front]:
        """`size` workers behind Kamailio, after `dead_workers` never-started ones in its dispatcher.

        With `answer_only`, a call whose To URI lacks that text is refused with 486 instead of answered.
        """
        events = EventLog()
        holder: list[WorkerPool] = []
        kamailio_holder: list[KamailioProcess] = []

        async def on_event(worker_id: int, event: Event) -> None:
            await events.add(worker_id, event)
            if isinstance(event, Incoming) and answer_only is not None and answer_only not in event.to_uri:
                await holder[0].send(
                    worker_id, Hangup(call_id=event.call_id, code=486, reason="Not a test call")
                )
            elif isinstance(event, Incoming):
                await holder[0].send(worker_id, Answer(call_id=event.call_id))
                await holder[0].send(worker_id, Play(call_id=event.call_id, file=str(prompt_wav)))

        async def on_worker_lost(worker_id: int, call_ids: tuple[str, ...]) -> None:
            # What SipFront does when a worker dies with calls up.
            if call_ids and kamailio_holder:
                await kamailio_holder[0].end_calls_through(
                    SipAddress("127.0.0.1", pool.status()[worker_id].port)
                )

        base = free_udp_ports(dead_workers + size + 1)
        pool = WorkerPool(
            size=size,
            base_port=base + dead_workers + 1,
            on_event=on_event,
            on_worker_lost=on_worker_lost,
            worker_args=worker_args,
        )
        holder.append(pool)
        await pool.start()
        try:
            dead = [
                WorkerAddress(host="127.0.0.1", port=base + 1 + i, max_calls=4) for i in range(dead_workers)
            ]
            live = [WorkerAddress(host="127.0.0.1", port=s.port, max_calls=s.limit) for s in pool.status()]
            files = render_config(
                listen=SipAddress("127.0.0.1", base),
                workers=[*dead, *live],
                agents=demo_agents,
                runtime_dir=tmp_path / "kamailio",
                domain=DOMAIN,
                limits=limits,
                worker_private_host=pool.private_host,
            )
            process = KamailioProcess(files, binary=kamailio)
            kamailio_holder.append(process)
            await process.start()
            try:
                yield Front(
                    pool=pool, events=events, kamailio=process, files=files, base_port=base + dead_workers + 1
                )
            finally:
                await process.stop()
        finally:
            await pool.stop()

    return start


@dataclass
class Sipp:
    """SIPp runs against the front, every one bounded in calls, time and silence."""

    binary: str
    folder: Path

    def scenario(self, name: str, **values: str | int) -> Path:
        text = (SCENARIOS / name).read_text()
        for key, value in values.items():
            text = text.replace(f"@{key.upper()}@", str(value))
        assert not re.search(r"@[A-Z_]+@", text), f"unfilled placeholder in {name}"
        path = self.folder / f"{len(list(self.folder.glob('*.xml')))}-{name}"
        path.write_text(text)
        return path

    async def start(
        self, scenario: Path, *args: str, target: int | None = None, port: int = 0, max_seconds: int = 20
    ) -> asyncio.subprocess.Process:
        """SIPp as a client of 127.0.0.1:`target`, or as a server (target None) on `port`."""
        sip_port = port or free_udp_ports(1)
        media_port = free_udp_ports(4)
        remote = [f"127.0.0.1:{target}"] if target is not None else []
        argv = [
            self.binary, *remote, "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(sip_port),
            "-mi", "127.0.0.1", "-mp", str(media_port), "-m", "1", "-l", "1",
            "-timeout", f"{max_seconds}s", "-timeout_error", "-recv_timeout", "10000",
            "-nostdin", "-trace_err", "-error_file", str(self.folder / f"errors-{sip_port}.log"), *args,
        ]  # fmt: skip
        return await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )

    async def run(
        self, scenario: Path, *args: str, target: int | None = None, port: int = 0
    ) -> tuple[int, str]:
        """Run to the end: SIPp's exit status (0: the scenario went as written) and its errors."""
        process = await self.start(scenario, *args, target=target, port=port)
        return await self.finish(process)

    async def finish(self, process: asyncio.subprocess.Process) -> tuple[int, str]:
        _, stderr = await process.communicate()
        return process.returncode or 0, stderr.decode(errors="replace") + self.errors()

    def errors(self) -> str:
        return "".join(path.read_text(errors="replace") for path in sorted(self.folder.glob("errors-*.log")))

    async def register(self, front: Front, user: str, password: str, *, contact: str, expect: int) -> None:
        scenario = self.scenario("register.xml", contact=contact, expect=expect)
        status, errors = await self.run(scenario, "-s", user, "-au", user, "-ap", password, target=front.port)
        assert status == 0, f"REGISTER {user} did not get {expect}:\n{errors}"


@pytest.fixture
def sipp_run(sipp: str, tmp_path: Path) -> Sipp:
    folder = tmp_path / "sipp"
    folder.mkdir()
    return Sipp(binary=sipp, folder=folder)
