"""The voice service for real: one media worker, the routing hub on SQLite, SIPp as the caller and a
pjsua2 test phone as the agents' desk phones, all on 127.0.0.1 with ports picked at run time."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from blockbuster import BlockBuster, blockbuster_ctx

from gateway.acd import Event, EventType, Presence
from gateway.acd_server import AcdServer
from gateway.config import parse_config
from gateway.ivr import parse_flows
from gateway.metrics import Metrics
from gateway.sip import WorkerPool
from gateway.storage import Database
from gateway.voice import AgentUri, DialUri, EventRelay, PromptCache, RecordingInfo, VoiceService
from tests.integration.sip.conftest import PCAP_DIRS, free_udp_ports, need

HERE = Path(__file__).parent
CALLER_HZ = 600  # the caller (SIPp) sends this tone
AGENT_HZ = 1400  # the agents' phone sends this one
SIP_USERS = {"alice": "1001", "bob": "1002", "sam": "2001"}  # sam: the supervisor

CONFIG = """
users:
  - {id: alice, name: Alice, role: agent, password_hash: "$argon2id$test", skills: {billing: 8},
     sip: {user: "1001", password: "alice-sip-secret"}}
  - {id: bob, name: Bob, role: agent, password_hash: "$argon2id$test", skills: {support: 8},
     sip: {user: "1002", password: "bob-sip-secret"}}
skills: [{id: billing}, {id: support}]
queues:
  - {id: billing, name: Billing, skills: [{skill: billing}], offer_timeout_seconds: 3}
  - {id: support, name: Support, skills: [{skill: support}], offer_timeout_seconds: 3}
flows:
  main:
    - menu:
        prompt: "Press 1 for billing, 2 for support."
        options: {'1': billing, '2': support, '3': waiting}
        timeout: 8
        retries: 0
  billing:
    - collect: {attribute: account, prompt: "Your account number, then hash.", min_length: 2,
                max_length: 8, terminator: '#', timeout: 8, retries: 0, sensitive: true}
    - queue: {queue: billing, announcements: {every: 4}}
  support:
    - queue: {queue: support, announcements: {every: 4}, allow_voicemail: '9', allow_callback: '8',
              on_callback: called_back}
  called_back:
    - say: "Thank you. You keep your place in the queue, and we will call you back very soon."
    - hangup
  waiting:
    - queue: {queue: support, announcements: {every: 2}}
"""


@pytest.fixture(autouse=True)
def blockbuster() -> Iterator[BlockBuster]:
    """The voice service runs in the gateway's event loop: any blocking call there fails the test."""
    with blockbuster_ctx(["gateway"]) as bb:
        yield bb


@pytest.fixture(scope="session")
def pcap_dir() -> Path:
    for folder in PCAP_DIRS:
        if (folder / "dtmf_2833_1.pcap").is_file():
            return folder
    pytest.fail(f"SIPp's RFC 2833 pcaps are in none of {[str(d) for d in PCAP_DIRS]}")


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """caller.wav: 60 s of the caller's tone as G.711 u-law (SIPp streams it); agent.wav for the phone."""
    folder = tmp_path_factory.mktemp("media")
    sox = need("sox", "sox")
    subprocess.run(
        [sox, "-n", "-r", "8000", "-c", "1", "-e", "u-law", str(folder / "caller.wav"),
         "synth", "60", "sine", str(CALLER_HZ), "vol", "0.5"],
        check=True,
    )  # fmt: skip
    subprocess.run(
        [sox, "-n", "-r", "16000", "-c", "1", "-b", "16", str(folder / "agent.wav"),
         "synth", "5", "sine", str(AGENT_HZ), "vol", "0.5"],
        check=True,
    )  # fmt: skip
    return folder


@pytest.fixture(scope="session")
def prompt_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by every test, so each prompt is spoken by espeak-ng once per session."""
    need("espeak-ng", "espeak-ng")
    return tmp_path_factory.mktemp("prompts")


# --- the test phone ---------------------------------------------------------------------------------


class Phone:
    """The agents' phone process and the lines it printed."""

    def __init__(self, process: asyncio.subprocess.Process, port: int, record_dir: Path) -> None:
        self.process = process
        self.port = port
        self.record_dir = record_dir
        self.lines: list[str] = []
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    def uri(self, agent_id: str) -> str | None:
        user = SIP_USERS.get(agent_id)
        return f"sip:{user}@127.0.0.1:{self.port}" if user else None

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            async with self._changed:
                self.lines.append(line.decode().strip())
                self._changed.notify_all()

    async def wait_for(self, line: str, *, within: float = 20.0) -> None:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: any(seen.startswith(line) for seen in self.lines))

    def heard(self, user: str, serial: int = 1) -> Path:
        return self.record_dir / f"{user}-{serial}.wav"

    async def send(self, command: str) -> None:
        """`call <uri>`, `dtmf <serial> <digits>`, `hangup <serial>` or `answer [<serial>]` (phone.py)."""
        assert self.process.stdin is not None
        self.process.stdin.write(command.encode() + b"\n")
        await self.process.stdin.drain()

    async def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            async with asyncio.timeout(10):
                await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        self._reader.cancel()


@pytest.fixture
async def start_phone(media: Path, tmp_path: Path) -> AsyncIterator[Callable[..., object]]:
    phones: list[Phone] = []

    async def start(
        *,
        answer: Sequence[str] = (),
        ring: Sequence[str] = (),
        busy: Sequence[str] = (),
        play: Path | None = None,
        caller_id: str = "phone",
        registrar: str = "",
        register: Sequence[str] = (),
        users: dict[str, str] = SIP_USERS,
        pick_up: str = "auto",
    ) -> Phone:
        """A phone answering/ringing/refusing calls to these agents; `register`: "user:password" entries;
        `pick_up="manual"`: the `answer` calls ring until `send("answer")`."""
        port = free_udp_ports(1)
        record_dir = tmp_path / f"phone-{len(phones)}"
        record_dir.mkdir(exist_ok=True)
        argv = [sys.executable, str(HERE / "phone.py"), "--port", str(port), "--play",
                str(play or media / "agent.wav"), "--record-dir", str(record_dir),
                "--caller-id", caller_id, "--registrar", registrar, "--pick-up", pick_up]  # fmt: skip
        for kind, agents in (("answer", answer), ("ring", ring), ("busy", busy)):
            for agent in agents:
                argv += [f"--{kind}", users[agent]]
        for entry in register:
            argv += ["--register", entry]
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        phone = Phone(process, port, record_dir)
        phones.append(phone)
        await phone.wait_for("ready", within=15)
        return phone

    yield start
    for phone in phones:
        await phone.close()


# --- the gateway side -------------------------------------------------------------------------------


class Saved:
    """The recording sink: what the voice service filed, in order."""

    def __init__(self) -> None:
        self.items: list[RecordingInfo] = []
        self.changed = asyncio.Condition()

    async def save(self, info: RecordingInfo) -> None:
        async with self.changed:
            self.items.append(info)
            self.changed.notify_all()


@dataclass
class Gateway:
    hub: AcdServer
    voice: VoiceService
    pool: WorkerPool
    db: Database
    port: int
    recordings: Path
    saved: Saved
    events: list[Event] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def on_routing(self, events: Sequence[Event]) -> None:
        async with self.changed:
            self.events.extend(events)
            self.changed.notify_all()

    def of(self, kind: EventType) -> list[Event]:
        return [e for e in self.events if e.type is kind]

    async def wait_for(self, kind: EventType, *, count: int = 1, within: float = 20.0) -> list[Event]:
        async with asyncio.timeout(within), self.changed:
            await self.changed.wait_for(lambda: len(self.of(kind)) >= count)
        return self.of(kind)

    async def wait_recordings(self, count: int, *, within: float = 20.0) -> list[RecordingInfo]:
        async with asyncio.timeout(within), self.saved.changed:
            await self.saved.changed.wait_for(lambda: len(self.saved.items) >= count)
        return list(self.saved.items)

    async def available(self, *agents: str) -> None:
        for agent in agents:
            await self.hub.set_presence(agent, Presence.available())


@pytest.fixture
async def start_gateway(prompt_dir: Path, tmp_path: Path) -> AsyncIterator[Callable[..., object]]:
    started: list[tuple[Gateway, AcdServer]] = []

    async def start(
        phone: Phone,
        *,
        dial_uri: DialUri | None = None,
        user_uri: AgentUri | None = None,
        worker_args: Sequence[str] = (),
    ) -> Gateway:
        config = parse_config(yaml.safe_load(CONFIG))
        flows = parse_flows(
            config.flows, queues={q.id for q in config.queues}, business_hours=set(), path="flows"
        )
        db = Database(f"sqlite:///{tmp_path / 'helpline.db'}", connect_timeout=10)
        await db.start()
        hub = AcdServer(config=config, database=db, metrics=Metrics())
        await hub.start()
        relay = EventRelay()
        port = free_udp_ports(1)
        pool = WorkerPool(
            size=1,
            base_port=port,
            on_event=relay.on_event,
            on_worker_lost=relay.on_worker_lost,
            worker_args=worker_args,
        )
        recordings = tmp_path / "recordings"
        saved = Saved()
        voice = VoiceService(
            pool,
            flows,
            hub,
            prompts=PromptCache(prompt_dir),
            recordings_dir=recordings,
            agent_uri=phone.uri,
            is_open=_always_open,
            recording_sink=saved,
            dial_uri=dial_uri,
            user_uri=user_uri,
        )
        relay.connect(voice)
        gateway = Gateway(hub, voice, pool, db, port, recordings, saved)
        hub.subscribe(gateway.on_routing)
        await pool.start()
        await voice.start()
        started.append((gateway, hub))
        return gateway

    yield start
    for gateway, hub in started:
        await gateway.voice.stop()
        await gateway.pool.stop()
        await hub.stop()
        await gateway.db.close()


def _always_open(_hours: str, _now: datetime) -> bool:
    return True


# --- SIPp as the caller -----------------------------------------------------------------------------

Step = tuple[str, str | int]
"""("pause", ms) | ("dtmf", digit) | ("hung_up_on", ms): the far end's BYE within ms, answered (the end)."""

_BYE_ANSWERED = """  <recv request="BYE" timeout="{ms}"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <nop next="hung_up_on"/>"""


@dataclass
class Caller:
    binary: str
    pcap_dir: Path
    media: Path
    folder: Path

    def scenario(self, steps: Sequence[Step], number: str = "+15550100") -> Path:
        body = []
        for kind, value in steps:
            if kind == "pause":
                body.append(f'  <pause milliseconds="{value}"/>')
            elif kind == "hung_up_on":
                body.append(_BYE_ANSWERED.format(ms=value))
            else:
                name = {"#": "pound", "*": "star"}.get(str(value), str(value))
                pcap = self.pcap_dir / f"dtmf_2833_{name}.pcap"
                body.append(f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>')
                body.append('  <pause milliseconds="300"/>')
        text = (HERE / "scenarios" / "caller.xml").read_text()
        text = text.replace("@CALLER_WAV@", str(self.media / "caller.wav")).replace(
            "@STEPS@", "\n".join(body)
        )
        text = text.replace("sip:+15550100@", f"sip:{number}@")
        path = self.folder / f"caller-{len(list(self.folder.glob('caller-*.xml')))}.xml"
        path.write_text(text)
        return path

    async def start(
        self, port: int, steps: Sequence[Step], *, max_seconds: int = 60, number: str = "+15550100"
    ) -> asyncio.subprocess.Process:
        """Start one call to the gateway's worker: `steps`, then BYE; SIPp gives up after `max_seconds`."""
        sip_port, media_port = free_udp_ports(1), free_udp_ports(4)
        argv = [
            self.binary, f"127.0.0.1:{port}", "-sf", str(self.scenario(steps, number)), "-i", "127.0.0.1",
            "-p", str(sip_port), "-mi", "127.0.0.1", "-mp", str(media_port), "-m", "1", "-l", "1",
            "-timeout", f"{max_seconds}s", "-timeout_error", "-recv_timeout", "20000", "-nostdin",
            "-trace_err", "-error_file", str(self.folder / "errors.log"),
        ]  # fmt: skip
        return await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )

    async def call(
        self, port: int, steps: Sequence[Step], *, max_seconds: int = 60, number: str = "+15550100"
    ) -> tuple[int, str]:
        """One whole call; SIPp's exit status (0: as the scenario says) and its errors."""
        process = await self.start(port, steps, max_seconds=max_seconds, number=number)
        async with asyncio.timeout(max_seconds + 15):
            _, stderr = await process.communicate()
        errors = self.folder / "errors.log"
        log = errors.read_text(errors="replace") if errors.is_file() else ""
        return process.returncode or 0, stderr.decode(errors="replace") + log


@pytest.fixture
def caller(pcap_dir: Path, media: Path, tmp_path: Path) -> Caller:
    folder = tmp_path / "sipp"
    folder.mkdir()
    return Caller(binary=need("sipp", "sip-tester"), pcap_dir=pcap_dir, media=media, folder=folder)


# --- SIPp as the phone network behind the trunk -------------------------------------------------------


@dataclass
class Trunk:
    """A SIPp UAS answering one call to any number and echoing its audio back (`-rtp_echo`)."""

    process: asyncio.subprocess.Process
    port: int
    messages: Path

    def dial_uri(self, number: str) -> str:
        return f"sip:{number}@127.0.0.1:{self.port}"

    async def answered(self, *, within: float = 30.0) -> None:
        """Until the gateway has acknowledged the 200 OK: the call to the number is up."""
        async with asyncio.timeout(within):
            while "ACK sip:" not in await self._messages():
                await asyncio.sleep(0.2)

    async def _messages(self) -> str:
        exists = await asyncio.to_thread(self.messages.is_file)
        return await asyncio.to_thread(self.messages.read_text, errors="replace") if exists else ""

    async def finished(self, *, within: float = 60.0) -> list[str]:
        """SIPp's exit status (0: the call went as the scenario says) and the request lines it received."""
        async with asyncio.timeout(within):
            _, stderr = await self.process.communicate()
        text = await self._messages()
        assert self.process.returncode == 0, stderr.decode(errors="replace") + text[-3000:]
        return re.findall(r"^([A-Z]+ sip:\S+ SIP/2\.0)\s*$", text, flags=re.MULTILINE)


async def open_trunk(messages: Path, port: int | None = None) -> Trunk:
    """SIPp as the phone network behind the trunk, on `port` (default: a free one); its SIP in `messages`."""
    port, media_port = port or free_udp_ports(1), free_udp_ports(4)
    argv = [
        need("sipp", "sip-tester"), "-sf", str(HERE / "scenarios" / "trunk.xml"), "-i", "127.0.0.1",
        "-p", str(port), "-mi", "127.0.0.1", "-mp", str(media_port), "-rtp_echo", "-m", "1",
        "-timeout", "90s", "-timeout_error", "-nostdin", "-trace_msg", "-message_file", str(messages),
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    return Trunk(process, port, messages)


async def close_trunk(trunk: Trunk) -> None:
    if trunk.process.returncode is None:
        trunk.process.kill()
        await trunk.process.wait()


@pytest.fixture
async def start_trunk(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[Trunk]]]:
    started: list[Trunk] = []

    async def start(port: int | None = None) -> Trunk:
        trunk = await open_trunk(tmp_path / f"trunk-{len(started)}-messages.log", port)
        started.append(trunk)
        return trunk

    yield start
    for trunk in started:
        await close_trunk(trunk)
