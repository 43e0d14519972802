"""The bench's files: SIPp scenarios (the caller, the answerer), the IVR prompt; free UDP ports.

IVR calls: the caller offers PCMU, listens to the prompt, keys 1 5 # by RFC 4733 and hangs up. Bridged
sessions: the caller offers PCMA and talks (SIPp's `g711a.pcap`, about 8 s of speech) until it hangs up;
the agents' phones (a SIPp UAS) answer in PCMA and talk back with the same recording. The baseline
answerer is that UAS too: it answers, plays the recording and waits for the BYE.
"""

from __future__ import annotations

import collections
import math
import os
import random
import socket
import struct
import wave
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

__all__ = [
    "DIGITS",
    "MIN_HOLD_SECONDS",
    "BenchFiles",
    "Scenario",
    "free_udp_ports",
    "udp_port_free",
    "write_files",
]

DIGITS = "15#"
MIN_HOLD_SECONDS = 4.0
_PCAP_DIRS = (Path("/usr/share/sip-tester"), Path("/usr/share/sipp"), Path("/usr/local/share/sipp/pcap"))
_PCAP_NAMES = {"1": "dtmf_2833_1.pcap", "5": "dtmf_2833_5.pcap", "#": "dtmf_2833_pound.pcap"}
_SPEECH_PCAP = "g711a.pcap"
_DIGIT_GAP_MS = 500
_AFTER_DIGITS_MS = 2000
_DIGITS_PHASE_MS = 2 * _DIGIT_GAP_MS + _AFTER_DIGITS_MS
_PCMU = """      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15"""
_PCMA = """      m=audio [media_port] RTP/AVP 8 101
      a=rtpmap:8 PCMA/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15"""


class Scenario(StrEnum):
    IVR = "ivr"
    """Answer, prompt, three RFC 4733 digits, hang-up."""
    BRIDGED = "bridged"
    """Answer, dial an agent leg, bridge, record both legs and mix them in stereo, hang up both."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchFiles:
    caller: Path
    """The SIPp UAC scenario of every step."""
    answerer: Path
    """The SIPp UAS scenario: the baseline, and the agents' phones of the bridged scenario."""
    prompt: Path
    """The IVR prompt (8 kHz mono), as long as the caller listens."""


_UAC_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="helpline bench: @KIND@ caller">
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
      X-Helpline-Bench: @KIND@
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=bench 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
@MEDIA@
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
@IN_CALL@
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
<scenario name="helpline bench: answerer (baseline, or the agents' phones)">
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
@MEDIA@
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


def free_udp_ports(count: int) -> int:
    """The first of `count` consecutive UDP ports free on 127.0.0.1 right now, for a process started next.

    Drawn below the range the OS hands out for port 0 (`ip_local_port_range`), so no process binding port
    0 meanwhile (a media worker's RTP, a phone's, a client's) can take them before they are bound; each
    pytest-xdist worker draws from its own slice, and ports handed out lately are not handed out again.
    """
    return _free_ports(count, socket.SOCK_DGRAM)


def free_tcp_port() -> int:
    """A TCP port free on 127.0.0.1 right now, for a server started next (drawn as `free_udp_ports`)."""
    return _free_ports(1, socket.SOCK_STREAM)


def _free_ports(count: int, kind: socket.SocketKind) -> int:
    low, high = _slice()
    for _ in range(500):
        base = random.randrange(low, high - count)
        wanted = range(base, base + count)
        if any(port in _handed_out for port in wanted):
            continue
        if all(_bindable(port, kind) for port in wanted):
            _handed_out.extend(wanted)
            return base
    raise RuntimeError(f"no {count} consecutive free ports on 127.0.0.1 in {low}-{high}")


_handed_out: collections.deque[int] = collections.deque(maxlen=2000)
_LOWEST = 10000  # below: well-known and registered ports, pjsua's default RTP ports (4000 and up)


def _first_ephemeral() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_FIRST_EPHEMERAL = _first_ephemeral()  # read once, at import: never from inside an event loop


def _slice() -> tuple[int, int]:
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0) % workers
    width = (_FIRST_EPHEMERAL - _LOWEST) // workers
    return _LOWEST + worker * width, _LOWEST + (worker + 1) * width


def udp_port_free(port: int) -> bool:
    """Whether `port` can be bound on 127.0.0.1 right now."""
    return _bindable(port, socket.SOCK_DGRAM)


def _bindable(port: int, kind: socket.SocketKind) -> bool:
    with socket.socket(socket.AF_INET, kind) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _pcap_dir() -> Path:
    for folder in _PCAP_DIRS:
        if all((folder / name).is_file() for name in [*_PCAP_NAMES.values(), _SPEECH_PCAP]):
            return folder
    raise RuntimeError(
        f"SIPp's pcaps (dtmf_2833_1.pcap, {_SPEECH_PCAP}) are in none of "
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


def _play(pcap: Path) -> str:
    return f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>'


def _ivr_steps(pcaps: Path, hold_seconds: float) -> str:
    # SIPp plays a pcap in a thread that the next play (or the end of the call) cancels: the gaps leave
    # room for a loaded SIPp.
    steps = [f'  <pause milliseconds="{_listen_ms(hold_seconds)}"/>']
    for index, digit in enumerate(DIGITS):
        if index:
            steps.append(f'  <pause milliseconds="{_DIGIT_GAP_MS}"/>')
        steps.append(_play(pcaps / _PCAP_NAMES[digit]))
    steps.append(f'  <pause milliseconds="{_AFTER_DIGITS_MS}"/>')
    return "\n".join(steps)


def _talk_steps(pcaps: Path, hold_seconds: float) -> str:
    return "\n".join([_play(pcaps / _SPEECH_PCAP), f'  <pause milliseconds="{int(hold_seconds * 1000)}"/>'])


def _listen_ms(hold_seconds: float) -> int:
    return int(hold_seconds * 1000) - _DIGITS_PHASE_MS


def write_files(folder: Path, scenario: Scenario, hold_seconds: float) -> BenchFiles:
    pcaps, ivr = _pcap_dir(), scenario is Scenario.IVR
    files = BenchFiles(
        caller=folder / f"{scenario}_uac.xml",
        answerer=folder / f"{scenario}_uas.xml",
        prompt=folder / "prompt.wav",
    )
    steps = _ivr_steps(pcaps, hold_seconds) if ivr else _talk_steps(pcaps, hold_seconds)
    media = _PCMU if ivr else _PCMA
    files.caller.write_text(
        _UAC_SCENARIO.replace("@KIND@", str(scenario)).replace("@MEDIA@", media).replace("@IN_CALL@", steps)
    )
    files.answerer.write_text(
        _UAS_SCENARIO.replace("@MEDIA@", media).replace("@PROMPT_PCAP@", str(pcaps / _SPEECH_PCAP))
    )
    _write_prompt(files.prompt, _listen_ms(hold_seconds) / 1000)
    return files
