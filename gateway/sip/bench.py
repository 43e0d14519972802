"""SIP benchmark (`helpline bench sip`): the most concurrent IVR calls the media workers carry, 0 failures.

The scenario, per call (SIPp is the caller, always the same UAC scenario):

1. INVITE (PCMU + telephone-event), through Kamailio when it is installed (else to a single worker);
2. the bench's IVR controller answers (`Answer`) and plays a prompt (`Play`) as long as the listening phase;
3. the caller listens for `hold - 3` s, then keys 1, 5, # by RFC 4733 (SIPp's `dtmf_2833_*.pcap`),
   500 ms apart, and hangs up (BYE) 2 s after the last digit: the call lasts `hold` seconds after the ACK
   (SIPp plays a pcap in a thread that the next play, or the end of the call, cancels: the gaps leave room
   for a loaded SIPp);
4. the call counts as a success when SIPp saw the scenario go as written and the controller received exactly
   the digits 1 5 # before the BYE. Anything else (SIPp failure, call never finished, digits missed, worker
   refusal or restart, command error) is a failure.

The search steps the concurrency N upward (doubling, then bisecting after the first failure) within a time
budget; each step runs SIPp with `-l N -r R -m total` and measures the CPU time (utime + stime from
/proc/<pid>/stat) and the memory (Rss/Pss from /proc/<pid>/smaps_rollup) of the workers and Kamailio. At
the largest N with 0 failures, the same UAC scenario runs against a SIPp UAS (answers, plays
`g711a.pcap` as its prompt, takes the RTP, waits for the BYE) as the baseline; the report gives the ratio.
Every process started here is stopped before `main` returns.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import math
import os
import resource
import shutil
import signal
import socket
import struct
import sys
import tempfile
import time
import wave
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gateway.sip._protocol import (
    Answer,
    CallState,
    Disconnected,
    Dtmf,
    ErrorEvent,
    Event,
    Incoming,
    Play,
    Ready,
    Rejected,
    State,
)
from gateway.sip._supervisor import WorkerPool
from gateway.sip.errors import WorkerUnavailableError
from gateway.sip.kamailio import (
    FrontOptions,
    KamailioError,
    KamailioProcess,
    SipAddress,
    WorkerAddress,
    find_kamailio,
    plan_sip_front,
    render_config,
)

__all__ = ["BenchOptions", "BenchReport", "StepResult", "main", "run"]

logger = logging.getLogger("helpline.sip.bench")

DIGITS = "15#"
GOAL_CALLS_PER_CORE = 300
_PCAP_DIRS = (Path("/usr/share/sip-tester"), Path("/usr/share/sipp"), Path("/usr/local/share/sipp/pcap"))
_PCAP_NAMES = {"1": "dtmf_2833_1.pcap", "5": "dtmf_2833_5.pcap", "#": "dtmf_2833_pound.pcap"}
_DIGIT_GAP_MS = 500
_AFTER_DIGITS_MS = 2000
_DIGITS_PHASE_MS = 2 * _DIGIT_GAP_MS + _AFTER_DIGITS_MS
_MIN_HOLD_SECONDS = 4.0
_SAMPLE_SECONDS = 0.5
_IDLE_SECONDS = 3.0
_MISSED_EXAMPLES = 5
_SETTLE_SECONDS = 10.0
_SIPP_SLACK_SECONDS = 30.0
_CLK_TCK = os.sysconf("SC_CLK_TCK")

_UAC_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="helpline bench: IVR caller">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Bench" <sip:bench@[local_ip]:[local_port]>;tag=[pid]bench[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:bench@[local_ip]:[local_port]>
      Max-Forwards: 70
      X-Helpline-Bench: ivr
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=bench 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true" rrs="true"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Bench" <sip:bench@[local_ip]:[local_port]>;tag=[pid]bench[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      [routes]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:bench@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <pause milliseconds="@LISTEN_MS@"/>
@DIGITS@
  <pause milliseconds="@AFTER_DIGITS_MS@"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Bench" <sip:bench@[local_ip]:[local_port]>;tag=[pid]bench[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      [routes]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:bench@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" crlf="true"/>
</scenario>
"""

_UAS_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="helpline bench: baseline IVR answerer">
  <recv request="INVITE" crlf="true"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]uas[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=uas 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
    ]]>
  </send>
  <recv request="ACK" rtd="true" crlf="true"/>
  <nop><action><exec play_pcap_audio="@PROMPT_PCAP@"/></action></nop>
  <recv request="BYE"/>
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
</scenario>
"""


# --- options and results ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchOptions:
    workers: int | None = None
    """Media workers; None: enough for `max_concurrent` at the worker's measured call limit."""
    calls_per_second: float | None = None
    """SIPp's call rate; None: 2 N / hold per step, so that SIPp is held back by `-l N`, not the rate."""
    max_concurrent: int = 200
    start_concurrent: int = 8
    hold_seconds: float = 8.0
    duration: float = 15.0
    """Seconds of call starts per step after the first N (the step lasts about duration + hold)."""
    time_budget: float = 300.0
    """Seconds for the search and the baseline together (set-up not included)."""
    kamailio: bool = True
    as_json: bool = False

    def __post_init__(self) -> None:
        if self.workers is not None and not 1 <= self.workers <= 200:
            raise ValueError(f"--workers must be 1..200, got {self.workers}")
        if self.calls_per_second is not None and not 0 < self.calls_per_second <= 2000:
            raise ValueError(f"--calls-per-second must be in (0, 2000], got {self.calls_per_second}")
        if not 1 <= self.max_concurrent <= 5000:
            raise ValueError(f"--max-concurrent must be 1..5000, got {self.max_concurrent}")
        if self.start_concurrent < 1:
            raise ValueError(f"--start-concurrent must be >= 1, got {self.start_concurrent}")
        if not _MIN_HOLD_SECONDS <= self.hold_seconds <= 600:
            raise ValueError(f"--hold-seconds must be {_MIN_HOLD_SECONDS:g}..600, got {self.hold_seconds}")
        if not 1 <= self.duration <= 3600:
            raise ValueError(f"--duration must be 1..3600, got {self.duration}")
        if not 10 <= self.time_budget <= 24 * 3600:
            raise ValueError(f"--time-budget must be 10..86400, got {self.time_budget}")


@dataclass(slots=True, kw_only=True)
class StepResult:
    target: int
    """N: SIPp's `-l`."""
    calls: int
    """SIPp's `-m`: calls placed in the step."""
    rate: float
    ok: bool
    failures: int
    """sipp_unsuccessful + digits_missed + answers_mismatched + worker_restarts."""
    sipp_unsuccessful: int
    """Calls SIPp did not complete as written (failed, or unfinished at its time limit)."""
    digits_missed: int
    """Calls answered by the IVR whose digits were not exactly 1 5 #."""
    digits_received_when_missed: list[str]
    """Up to 5 examples of what the controller got instead."""
    answers_mismatched: int
    """|calls SIPp completed - calls the IVR answered and saw end|: a call unaccounted for."""
    worker_restarts: int
    not_answered: int
    """Not failures by themselves: calls a worker saw but that were cancelled before the ACK (Kamailio
    moved them to another worker after its no-reply timer, or the caller gave up)."""
    refused: int
    """Not failures by themselves: INVITEs a full worker refused with 503 (Kamailio tries the next)."""
    errors: int
    """Not failures by themselves: commands a worker could not carry out (mostly on calls already gone)."""
    peak_concurrency: int
    mean_concurrency: float
    seconds: float
    caller_cpu_percent: float
    """CPU of the SIPp caller (the load generator) over the step, in % of one core."""
    calls_per_second: float
    """Completed calls per second of the step."""
    cpu_seconds: float
    cpu_percent: float
    """Mean CPU of the measured processes over the step, in % of one core."""
    cpu_percent_per_call: float
    """cpu_seconds / call-seconds, in % of one core per concurrent call (fixed idle cost included)."""
    cpu_percent_per_call_over_idle: float
    """The same without the processes' idle CPU (what one more call costs)."""
    rss_mb: float
    pss_mb: float
    """Peak memory of the measured processes during the step."""
    rss_mb_per_call: float
    pss_mb_per_call: float
    """(peak - idle) / peak concurrency."""


@dataclass(slots=True, kw_only=True)
class BenchReport:
    library: str
    front: str
    workers: int
    worker_limit: int
    hold_seconds: float
    duration: float
    idle_cpu_percent: float
    idle_rss_mb: float
    idle_pss_mb: float
    steps: list[StepResult] = field(default_factory=list)
    best: StepResult | None = None
    baseline: StepResult | None = None
    cpu_ratio: float | None = None
    """Helpline's CPU / the SIPp UAS's CPU at the same N."""
    calls_per_core: float | None = None
    """100 / cpu_percent_per_call at the best N: concurrent calls one core carries, idle cost included."""
    calls_per_core_over_idle: float | None = None
    goal_calls_per_core: int = GOAL_CALLS_PER_CORE
    stopped_by_budget: bool = False
    notes: list[str] = field(default_factory=list)


# --- /proc measurements ----------------------------------------------------------------------------


def _cpu_ticks(pids: Sequence[int]) -> int:
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


def _memory_kb(pids: Sequence[int]) -> tuple[int, int]:
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


def _children_cpu_seconds() -> float:
    """CPU of this process's children that have ended (and been waited for): the SIPp caller of a step."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _group_pids(group: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _, pgrp = stat.read_text().rpartition(")")[2].split()[:3]
        except (OSError, ValueError):
            continue
        if int(pgrp) == group and state != "Z":
            members.append(int(stat.parent.name))
    return members


@dataclass(frozen=True, slots=True)
class _Idle:
    cpu_percent: float
    rss_kb: int
    pss_kb: int


async def _measure_idle(pids: list[int], seconds: float) -> _Idle:
    before, started = await asyncio.to_thread(_cpu_ticks, pids), time.monotonic()
    await asyncio.sleep(seconds)
    after, elapsed = await asyncio.to_thread(_cpu_ticks, pids), time.monotonic() - started
    rss, pss = await asyncio.to_thread(_memory_kb, pids)
    return _Idle((after - before) / _CLK_TCK / elapsed * 100, rss, pss)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Seen:
    """What the IVR controller counted during a step (nothing for the baseline)."""

    answered: int | None = None
    """None: no IVR controller took part (the baseline)."""
    digits_missed: int = 0
    not_answered: int = 0
    refused: int = 0
    errors: int = 0
    restarts: int = 0
    missed: list[str] = field(default_factory=list)


class _Sampler:
    """Peak Rss/Pss of a set of processes, sampled every `_SAMPLE_SECONDS` while a step runs."""

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        self._pids = pids
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0

    async def run(self) -> None:
        while True:
            rss, pss = await asyncio.to_thread(_memory_kb, self._pids())
            self.peak_rss_kb = max(self.peak_rss_kb, rss)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            await asyncio.sleep(_SAMPLE_SECONDS)


# --- the IVR controller ----------------------------------------------------------------------------


@dataclass(slots=True)
class _CallRecord:
    confirmed: bool = False
    digits: list[str] = field(default_factory=list)


class _IvrController:
    """Answers every call, plays the prompt, collects the digits and checks them when the call ends."""

    def __init__(self, prompt: Path) -> None:
        self._prompt = str(prompt)
        self.pool: WorkerPool | None = None
        self.limit = 0
        self.version = ""
        self._calls: dict[tuple[int, str], _CallRecord] = {}
        self.reset()

    def reset(self) -> None:
        self.answered = 0
        """Calls that were confirmed (ACKed) at a worker and have ended."""
        self.digits_missed = 0
        self.not_answered = 0
        self.refused = 0
        self.errors = 0
        self.missed: list[str] = []

    @property
    def active(self) -> int:
        return len(self._calls)

    async def on_event(self, worker_id: int, event: Event) -> None:
        match event:
            case Ready():
                self.limit, self.version = event.limit, event.version
            case Incoming():
                self._calls[(worker_id, event.call_id)] = _CallRecord()
                await self._send(worker_id, Answer(call_id=event.call_id))
                await self._send(worker_id, Play(call_id=event.call_id, file=self._prompt))
            case State(state=CallState.CONFIRMED):
                record = self._calls.get((worker_id, event.call_id))
                if record is not None:
                    record.confirmed = True
            case Dtmf():
                record = self._calls.get((worker_id, event.call_id))
                if record is not None:
                    record.digits.append(event.digit)
            case Disconnected():
                record = self._calls.pop((worker_id, event.call_id), None)
                if record is not None:
                    self._ended(record)
            case Rejected():
                self.refused += 1
            case ErrorEvent():
                logger.warning("media worker %d: %s", worker_id, event.message)
                self.errors += 1
            case _:
                pass

    def _ended(self, record: _CallRecord) -> None:
        if not record.confirmed:
            # Cancelled before the ACK: Kamailio gave up on this worker (or the caller did); SIPp's
            # count says whether the call then succeeded elsewhere.
            self.not_answered += 1
            return
        self.answered += 1
        digits = "".join(record.digits)
        if digits != DIGITS:
            self.digits_missed += 1
            if len(self.missed) < _MISSED_EXAMPLES:
                self.missed.append(digits or "(none)")

    async def on_lost(self, worker_id: int, call_ids: tuple[str, ...]) -> None:
        logger.warning("media worker %d died with %d call(s) up", worker_id, len(call_ids))
        for call_id in call_ids:
            self._calls.pop((worker_id, call_id), None)

    async def _send(self, worker_id: int, command: Answer | Play) -> None:
        if self.pool is None:
            return
        try:
            await self.pool.send(worker_id, command)
        except WorkerUnavailableError:
            self.errors += 1


# --- SIPp ------------------------------------------------------------------------------------------


@dataclass(slots=True, kw_only=True)
class _SippRun:
    returncode: int | None
    successful: int
    failed: int
    peak: int
    call_seconds: float
    seconds: float


def _free_udp_ports(count: int) -> int:
    """The first of `count` consecutive UDP ports free on 127.0.0.1 right now."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + count <= 65535 and all(_udp_free(base + offset) for offset in range(count)):
            return base
    raise RuntimeError(f"no {count} consecutive free UDP ports on 127.0.0.1")


def _udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _read_stats(path: Path) -> tuple[int, int, int, float]:
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


class _Sipp:
    """Runs SIPp processes in their own process groups and kills every one still running on `close`."""

    def __init__(self, binary: str, folder: Path) -> None:
        self._binary = binary
        self._folder = folder
        self._running: set[asyncio.subprocess.Process] = set()
        self._serial = 0

    async def start_uas(self, scenario: Path, *, port: int, max_seconds: float) -> asyncio.subprocess.Process:
        media = _free_udp_ports(4)
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
    ) -> _SippRun:
        self._serial += 1
        stats = self._folder / f"uac-{self._serial}.csv"
        port, media = _free_udp_ports(1), _free_udp_ports(4)
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
        successful, failed, peak, call_seconds = await asyncio.to_thread(_read_stats, stats)
        return _SippRun(
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


# --- files -----------------------------------------------------------------------------------------


def _pcap_dir() -> Path:
    for folder in _PCAP_DIRS:
        if all((folder / name).is_file() for name in [*_PCAP_NAMES.values(), "g711a.pcap"]):
            return folder
    raise RuntimeError(
        "SIPp's pcaps (dtmf_2833_1.pcap, g711a.pcap) are in none of "
        f"{', '.join(str(d) for d in _PCAP_DIRS)}: install the Debian package `sip-tester`"
    )


def _write_prompt(path: Path, seconds: float) -> None:
    """A prompt: 8 kHz mono 16-bit, a 440 Hz tone at a moderate level."""
    frames = int(8000 * seconds)
    samples = (int(6000 * math.sin(2 * math.pi * 440 * n / 8000)) for n in range(frames))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))


def _write_files(folder: Path, hold_seconds: float) -> tuple[Path, Path, Path]:
    pcaps = _pcap_dir()
    listen_ms = int(hold_seconds * 1000) - _DIGITS_PHASE_MS
    steps = []
    for index, digit in enumerate(DIGITS):
        if index:
            steps.append(f'  <pause milliseconds="{_DIGIT_GAP_MS}"/>')
        pcap = pcaps / _PCAP_NAMES[digit]
        steps.append(f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>')
    uac = folder / "ivr_uac.xml"
    uac.write_text(
        _UAC_SCENARIO.replace("@LISTEN_MS@", str(listen_ms))
        .replace("@DIGITS@", "\n".join(steps))
        .replace("@AFTER_DIGITS_MS@", str(_AFTER_DIGITS_MS))
    )
    uas = folder / "ivr_uas.xml"
    uas.write_text(_UAS_SCENARIO.replace("@PROMPT_PCAP@", str(pcaps / "g711a.pcap")))
    prompt = folder / "prompt.wav"
    _write_prompt(prompt, listen_ms / 1000)
    return uac, uas, prompt


# --- the run ---------------------------------------------------------------------------------------


def _step_calls(n: int, options: BenchOptions) -> tuple[int, float]:
    calls = n + math.ceil(n * options.duration / options.hold_seconds)
    rate = options.calls_per_second or max(1.0, round(2 * n / options.hold_seconds, 1))
    return calls, rate


def _step_seconds(n: int, options: BenchOptions) -> float:
    """A generous estimate of one step's length, for the time budget."""
    calls, rate = _step_calls(n, options)
    per_second = min(rate, n / options.hold_seconds)
    return calls / per_second + options.hold_seconds + 3


class _Bench:
    def __init__(self, options: BenchOptions, folder: Path, sipp: _Sipp) -> None:
        self.options = options
        self.folder = folder
        self.sipp = sipp
        self.uac, self.uas, prompt = _write_files(folder, options.hold_seconds)
        self.controller = _IvrController(prompt)
        self.pool: WorkerPool | None = None
        self.kamailio: KamailioProcess | None = None
        self.target_port = 0

    # --- set-up -----------------------------------------------------------------------------------

    async def probe_limit(self) -> int:
        """Start one worker to learn its real call limit (the wheel's compile-time limit and select())."""
        probe = _IvrController(self.folder / "prompt.wav")
        pool = WorkerPool(
            size=1, base_port=_free_udp_ports(1), on_event=probe.on_event, on_worker_lost=probe.on_lost
        )
        await pool.start()
        await pool.stop()
        return probe.limit

    async def start(self, workers: int, use_kamailio: bool) -> str:
        binary = find_kamailio() if use_kamailio else None
        base = _free_udp_ports(workers + 1)
        plan = plan_sip_front(kamailio=binary, sip_port=base, workers=workers, worker_base_port=base + 1)
        if plan.warning and use_kamailio:
            logger.warning("%s", plan.warning)
        controller = self.controller
        self.pool = WorkerPool(
            size=plan.worker_count,
            base_port=plan.worker_base_port,
            on_event=controller.on_event,
            on_worker_lost=controller.on_lost,
            start_timeout=30.0,
        )
        controller.pool = self.pool
        await self.pool.start()
        if plan.kamailio is None:
            self.target_port = plan.worker_base_port
            return "single worker (no Kamailio)"
        files = render_config(
            listen=SipAddress(plan.sip_host, plan.sip_port),
            workers=[
                WorkerAddress(host="127.0.0.1", port=s.port, max_calls=s.limit) for s in self.pool.status()
            ],
            agents={},
            runtime_dir=self.folder / "kamailio",
            domain="bench.helpline.test",
            options=FrontOptions(),
        )
        self.kamailio = KamailioProcess(files, binary=plan.kamailio)
        await self.kamailio.start()
        self.target_port = plan.sip_port
        return "Kamailio dispatcher"

    async def stop(self) -> None:
        if self.kamailio is not None:
            await self.kamailio.stop()
        if self.pool is not None:
            await self.pool.stop()

    def measured_pids(self) -> list[int]:
        pids = [s.pid for s in self.pool.status() if s.pid is not None] if self.pool is not None else []
        if self.kamailio is not None and self.kamailio.pid is not None:
            pids += _group_pids(self.kamailio.pid)
        return pids

    def restarts(self) -> int:
        return sum(s.restarts for s in self.pool.status()) if self.pool is not None else 0

    async def idle(self) -> _Idle:
        return await _measure_idle(await asyncio.to_thread(self.measured_pids), _IDLE_SECONDS)

    # --- steps ------------------------------------------------------------------------------------

    async def step(self, n: int, idle: _Idle) -> StepResult:
        controller = self.controller
        await self._settle()
        controller.reset()
        restarts = self.restarts()
        pids = await asyncio.to_thread(self.measured_pids)
        return await self._measure(n, pids, idle, self.target_port, after=self._controller_failures(restarts))

    def _controller_failures(self, restarts: int) -> Callable[[], _Seen]:
        def failures() -> _Seen:
            c = self.controller
            return _Seen(
                answered=c.answered, digits_missed=c.digits_missed, not_answered=c.not_answered,
                refused=c.refused, errors=c.errors, restarts=self.restarts() - restarts,
                missed=list(c.missed),
            )  # fmt: skip

        return failures

    async def baseline(self, n: int) -> StepResult:
        port = _free_udp_ports(1)
        budget = _step_seconds(n, self.options) * 2 + _SIPP_SLACK_SECONDS
        uas = await self.sipp.start_uas(self.uas, port=port, max_seconds=budget + 30)
        try:
            idle = await _measure_idle([uas.pid], 1.0)
            return await self._measure(n, [uas.pid], idle, port, after=_Seen)
        finally:
            await self.sipp.stop(uas)

    async def _measure(
        self,
        n: int,
        pids: list[int],
        idle: _Idle,
        port: int,
        *,
        after: Callable[[], _Seen],
    ) -> StepResult:
        calls, rate = _step_calls(n, self.options)
        max_seconds = _step_seconds(n, self.options) * 2 + _SIPP_SLACK_SECONDS
        sampler = _Sampler(lambda: pids)
        sampling = asyncio.create_task(sampler.run())
        ticks = await asyncio.to_thread(_cpu_ticks, pids)
        children = _children_cpu_seconds()
        try:
            run = await self.sipp.run_uac(
                self.uac, target=port, limit=n, rate=rate, calls=calls, max_seconds=max_seconds
            )
            cpu = (await asyncio.to_thread(_cpu_ticks, pids) - ticks) / _CLK_TCK
            caller_cpu = _children_cpu_seconds() - children
        finally:
            sampling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampling
        await self._settle()
        seen = after()
        unsuccessful = max(calls - run.successful, run.failed)
        # A call SIPp completed must have been answered by the IVR, once: Kamailio answers nothing itself.
        unseen = 0 if seen.answered is None else abs(run.successful - seen.answered)
        failures = unsuccessful + seen.digits_missed + unseen + seen.restarts
        peak = max(run.peak, 1)
        rss_kb, pss_kb = sampler.peak_rss_kb, sampler.peak_pss_kb
        busy = cpu - idle.cpu_percent / 100 * run.seconds
        return StepResult(
            target=n,
            calls=calls,
            rate=rate,
            ok=failures == 0 and run.peak >= n,
            failures=failures,
            sipp_unsuccessful=unsuccessful,
            digits_missed=seen.digits_missed,
            digits_received_when_missed=seen.missed,
            answers_mismatched=unseen,
            worker_restarts=seen.restarts,
            not_answered=seen.not_answered,
            refused=seen.refused,
            errors=seen.errors,
            peak_concurrency=run.peak,
            mean_concurrency=round(run.call_seconds / run.seconds, 2) if run.seconds else 0.0,
            seconds=round(run.seconds, 2),
            caller_cpu_percent=round(caller_cpu / run.seconds * 100, 2) if run.seconds else 0.0,
            calls_per_second=round(run.successful / run.seconds, 2) if run.seconds else 0.0,
            cpu_seconds=round(cpu, 2),
            cpu_percent=round(cpu / run.seconds * 100, 2) if run.seconds else 0.0,
            cpu_percent_per_call=round(cpu / run.call_seconds * 100, 4) if run.call_seconds else 0.0,
            cpu_percent_per_call_over_idle=round(max(0.0, busy) / run.call_seconds * 100, 4)
            if run.call_seconds
            else 0.0,
            rss_mb=round(rss_kb / 1024, 1),
            pss_mb=round(pss_kb / 1024, 1),
            rss_mb_per_call=round(max(0, rss_kb - idle.rss_kb) / 1024 / peak, 3),
            pss_mb_per_call=round(max(0, pss_kb - idle.pss_kb) / 1024 / peak, 3),
        )

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


async def _search(bench: _Bench, report: BenchReport, idle: _Idle, top: int) -> StepResult | None:
    options = bench.options
    deadline = time.monotonic() + options.time_budget
    best: StepResult | None = None
    bad: int | None = None
    n = min(top, options.start_concurrent)
    while n >= 1:
        # Keep room for the baseline, which runs at the best N found so far (or at this one).
        needed = _step_seconds(n, options) + _step_seconds(max(n, best.target if best else 0), options)
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
        sipp = _Sipp(sipp_binary, folder)
        bench = await asyncio.to_thread(_Bench, options, folder, sipp)
        try:
            return await _run(bench, options)
        finally:
            await sipp.close()
            await bench.stop()


async def _run(bench: _Bench, options: BenchOptions) -> BenchReport:
    limit = await bench.probe_limit()
    use_kamailio = options.kamailio and find_kamailio() is not None
    workers = options.workers or max(1, math.ceil(options.max_concurrent / limit))
    notes = []
    if not use_kamailio:
        workers = 1
        notes.append("Kamailio not used: one worker, so N is at most its call limit")
    front = await bench.start(workers, use_kamailio)
    idle = await bench.idle()
    report = BenchReport(
        library=bench.controller.version,
        front=front,
        workers=workers,
        worker_limit=limit,
        hold_seconds=options.hold_seconds,
        duration=options.duration,
        idle_cpu_percent=round(idle.cpu_percent, 2),
        idle_rss_mb=round(idle.rss_kb / 1024, 1),
        idle_pss_mb=round(idle.pss_kb / 1024, 1),
        notes=notes,
    )
    top = min(options.max_concurrent, workers * limit)
    if top < options.max_concurrent:
        notes.append(
            f"searched up to {top} only: {workers} worker(s) x {limit} calls < --max-concurrent "
            f"{options.max_concurrent}"
        )
    best = await _search(bench, report, idle, top)
    report.best = best
    if best is None:
        return report
    report.baseline = baseline = await bench.baseline(best.target)
    if baseline.cpu_seconds > 0:
        report.cpu_ratio = round(best.cpu_seconds / baseline.cpu_seconds, 2)
    if best.cpu_percent_per_call > 0:
        report.calls_per_core = round(100 / best.cpu_percent_per_call, 1)
    if best.cpu_percent_per_call_over_idle > 0:
        report.calls_per_core_over_idle = round(100 / best.cpu_percent_per_call_over_idle, 1)
    if not baseline.ok:
        notes.append(f"the baseline had {baseline.failures} failure(s) at N={baseline.target}")
    return report


# --- output ----------------------------------------------------------------------------------------


def _table(report: BenchReport) -> str:
    lines = [
        f"helpline bench sip: pjsua2 {report.library}, {report.workers} worker(s) x {report.worker_limit} "
        f"calls, {report.front}; calls of {report.hold_seconds:g} s (prompt, digits {DIGITS}, BYE), "
        f"{report.duration:g} s per step",
        f"idle: {report.idle_cpu_percent:.1f} % of a core, {report.idle_rss_mb:.0f} MB RSS, "
        f"{report.idle_pss_mb:.0f} MB PSS",
        "",
        f"{'N':>5} {'calls':>6} {'fail':>5} {'peak':>5} {'mean':>6} {'calls/s':>8} {'CPU %':>7} "
        f"{'%/call':>7} {'PSS MB':>7} {'MB/call':>8} {'caller %':>8}  result",
    ]
    rows = [*report.steps, *([report.baseline] if report.baseline else [])]
    for index, step in enumerate(rows):
        label = "ok" if step.ok else "FAIL"
        if step is report.baseline and index == len(report.steps):
            label += " (baseline: SIPp UAS)"
        lines.append(
            f"{step.target:>5} {step.calls:>6} {step.failures:>5} {step.peak_concurrency:>5} "
            f"{step.mean_concurrency:>6.1f} {step.calls_per_second:>8.2f} {step.cpu_percent:>7.1f} "
            f"{step.cpu_percent_per_call:>7.3f} {step.pss_mb:>7.0f} {step.pss_mb_per_call:>8.3f} "
            f"{step.caller_cpu_percent:>8.1f}  {label}"
        )
    lines.append("")
    for step in report.steps:
        if step.failures or step.not_answered or step.refused or step.errors:
            got = ", ".join(repr(d) for d in step.digits_received_when_missed)
            lines.append(
                f"N={step.target}: failed in SIPp {step.sipp_unsuccessful}, "
                f"digits missed {step.digits_missed}{f' (got {got})' if got else ''}, "
                f"unaccounted {step.answers_mismatched}, "
                f"worker restarts {step.worker_restarts}; moved to another worker {step.not_answered}, "
                f"refused by a full worker {step.refused}, failed commands {step.errors}"
            )
    best, baseline = report.best, report.baseline
    if best is None:
        lines.append("no concurrency passed with 0 failures")
    else:
        lines.append(
            f"largest N with 0 failures: {best.target} (peak {best.peak_concurrency}), "
            f"{best.calls_per_second:.2f} calls/s"
        )
        lines.append(
            f"helpline: {best.cpu_percent:.1f} % of a core in all, "
            f"{best.cpu_percent_per_call:.3f} % per call -> {report.calls_per_core or 0:.0f} calls per core "
            f"(goal {report.goal_calls_per_core}); over idle: {best.cpu_percent_per_call_over_idle:.3f} % "
            f"per call -> {report.calls_per_core_over_idle or 0:.0f} per core; "
            f"{best.rss_mb_per_call:.2f} MB RSS, {best.pss_mb_per_call:.2f} MB PSS per call"
        )
    if baseline is not None:
        lines.append(
            f"baseline (SIPp UAS, same scenario, N={baseline.target}): "
            f"{baseline.cpu_percent:.1f} % of a core, "
            f"{baseline.cpu_percent_per_call:.3f} % per call; CPU ratio helpline/baseline: "
            f"{report.cpu_ratio if report.cpu_ratio is not None else 'n/a'}"
        )
    if report.stopped_by_budget:
        lines.append("the search stopped at its time budget (--time-budget)")
    lines.extend(f"note: {note}" for note in report.notes)
    return "\n".join(lines)


def _parse(argv: Sequence[str] | None) -> BenchOptions:
    parser = argparse.ArgumentParser(
        prog="helpline bench sip",
        description="The most concurrent IVR calls (answer, prompt, DTMF, hang-up) the media workers carry "
        "with 0 failures, with CPU and memory per call and a SIPp UAS baseline.",
    )
    parser.add_argument("--workers", type=int, default=None, help="media workers (default: enough for N)")
    parser.add_argument(
        "--calls-per-second", type=float, default=None, help="SIPp call rate (default: 2N/hold)"
    )
    parser.add_argument("--max-concurrent", type=int, default=200, help="upper bound of the search")
    parser.add_argument("--start-concurrent", type=int, default=8, help="first N tried")
    parser.add_argument("--hold-seconds", type=float, default=8.0, help="call length after the answer")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of calls per step")
    parser.add_argument("--time-budget", type=float, default=300.0, help="seconds for search + baseline")
    parser.add_argument("--no-kamailio", action="store_true", help="one worker, no Kamailio in front")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    try:
        return BenchOptions(
            workers=args.workers,
            calls_per_second=args.calls_per_second,
            max_concurrent=args.max_concurrent,
            start_concurrent=args.start_concurrent,
            hold_seconds=args.hold_seconds,
            duration=args.duration,
            time_budget=args.time_budget,
            kamailio=not args.no_kamailio,
            as_json=args.json,
        )
    except ValueError as exc:
        parser.error(str(exc))


async def _run_cancellable(options: BenchOptions) -> BenchReport:
    """`run`, cancelled (so every process is cleaned up) on SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    try:
        return await run(options)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


def main(argv: Sequence[str] | None = None) -> int:
    options = _parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        report = asyncio.run(_run_cancellable(options))
    except asyncio.CancelledError:
        print("helpline bench sip: interrupted", file=sys.stderr)
        return 130
    except (RuntimeError, OSError, TimeoutError, KamailioError) as exc:
        print(f"helpline bench sip: {exc}", file=sys.stderr)
        return 1
    if options.as_json:
        print(json.dumps(asdict(report), indent=2))
    else:
        print(_table(report))
    return 0 if report.best is not None else 1


if __name__ == "__main__":
    sys.exit(main())
