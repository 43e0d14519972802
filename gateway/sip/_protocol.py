"""The control channel between the gateway and a media worker: one JSON object per line.

Every frame carries a `type`; the other keys are the fields of the matching dataclass below. Frames are
parsed once, by `_codec`, into these frozen values; a malformed frame raises `ProtocolError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

__all__ = [
    "COMMAND_TYPES",
    "EVENT_TYPES",
    "Answer",
    "Bridge",
    "CallState",
    "Command",
    "Dialing",
    "Disconnected",
    "Dtmf",
    "DtmfMethod",
    "ErrorEvent",
    "Event",
    "Hangup",
    "Headers",
    "Hold",
    "Incoming",
    "ListenStart",
    "ListenStop",
    "Load",
    "MakeCall",
    "MediaEnded",
    "Ping",
    "Play",
    "Pong",
    "Ready",
    "RecordStart",
    "RecordStop",
    "Rejected",
    "Shutdown",
    "State",
    "StopPlay",
    "StopTransmit",
    "Transmit",
    "Unbridge",
    "Unhold",
]

MAX_FRAME_BYTES = 64 * 1024

Headers = tuple[tuple[str, str], ...]
"""SIP headers as (name, value) pairs, in message order; JSON carries them as a list of 2-lists."""


class CallState(StrEnum):
    CALLING = "calling"
    INCOMING = "incoming"
    EARLY = "early"
    CONNECTING = "connecting"
    CONFIRMED = "confirmed"
    DISCONNECTED = "disconnected"


class DtmfMethod(StrEnum):
    RFC4733 = "rfc4733"
    SIP_INFO = "sip_info"


# --- commands: gateway -> worker -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    TYPE: ClassVar[str] = "answer"
    call_id: str
    command_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Hangup:
    """End a call; `code` 0 lets the stack choose (BYE when answered, 603 when ringing)."""

    TYPE: ClassVar[str] = "hangup"
    call_id: str
    code: int = 0
    reason: str = ""
    command_id: str = ""

    def __post_init__(self) -> None:
        if self.code != 0 and not 300 <= self.code <= 699:
            raise ValueError(f"hangup: code must be 0 or 300..699, got {self.code}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Play:
    TYPE: ClassVar[str] = "play"
    call_id: str
    file: str
    loop: bool = False
    command_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class StopPlay:
    TYPE: ClassVar[str] = "stop_play"
    call_id: str
    command_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordStart:
    TYPE: ClassVar[str] = "record_start"
    call_id: str
    path: str
    command_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordStop:
    TYPE: ClassVar[str] = "record_stop"
    call_id: str
    command_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ListenStart:
    """Write what the caller says to `path` as it comes (a WAV a speech recogniser reads while it grows),
    beside the call's own recorder; one listener per call."""

    TYPE: ClassVar[str] = "listen_start"
    call_id: str
    path: str
    command_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ListenStop:
    TYPE: ClassVar[str] = "listen_stop"
    call_id: str
    command_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Bridge:
    TYPE: ClassVar[str] = "bridge"
    call_a: str
    call_b: str
    command_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Unbridge:
    TYPE: ClassVar[str] = "unbridge"
    call_a: str
    call_b: str
    command_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Transmit:
    """Send `source`'s audio to `sink`, one way, on the worker's conference bridge (a supervisor listening
    in: the caller's and the agent's legs transmit to the supervisor's). Kept across media changes."""

    TYPE: ClassVar[str] = "transmit"
    source: str
    sink: str
    command_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class StopTransmit:
    TYPE: ClassVar[str] = "stop_transmit"
    source: str
    sink: str
    command_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MakeCall:
    """Dial out (the agent leg); the worker answers with `Dialing` carrying the new call id."""

    TYPE: ClassVar[str] = "make_call"
    uri: str
    headers: Headers = ()
    command_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Hold:
    TYPE: ClassVar[str] = "hold"
    call_id: str
    command_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Unhold:
    TYPE: ClassVar[str] = "unhold"
    call_id: str
    command_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Ping:
    """Are you alive? The worker answers `Pong` from its main loop (the pool's heartbeat)."""

    TYPE: ClassVar[str] = "ping"
    command_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Shutdown:
    """Hang up every call and exit cleanly."""

    TYPE: ClassVar[str] = "shutdown"
    command_id: str = ""


Command = (
    Answer
    | Hangup
    | Play
    | StopPlay
    | RecordStart
    | RecordStop
    | ListenStart
    | ListenStop
    | Bridge
    | Unbridge
    | Transmit
    | StopTransmit
    | MakeCall
    | Hold
    | Unhold
    | Ping
    | Shutdown
)

# --- events: worker -> gateway ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Ready:
    """The worker is listening; `limit` is the call limit it measured, not the configured one."""

    TYPE: ClassVar[str] = "ready"
    limit: int
    host: str
    port: int
    version: str
    boot: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Incoming:
    TYPE: ClassVar[str] = "incoming"
    call_id: str
    from_uri: str
    to_uri: str
    sip_call_id: str
    headers: Headers = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Dialing:
    TYPE: ClassVar[str] = "dialing"
    command_id: str
    call_id: str
    uri: str


@dataclass(frozen=True, slots=True, kw_only=True)
class State:
    TYPE: ClassVar[str] = "state"
    call_id: str
    state: CallState


@dataclass(frozen=True, slots=True, kw_only=True)
class Dtmf:
    TYPE: ClassVar[str] = "dtmf"
    call_id: str
    digit: str
    method: DtmfMethod


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaEnded:
    """A prompt started without `loop` has finished playing."""

    TYPE: ClassVar[str] = "media_ended"
    call_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Disconnected:
    TYPE: ClassVar[str] = "disconnected"
    call_id: str
    code: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Load:
    TYPE: ClassVar[str] = "load"
    active: int
    limit: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejected:
    """An INVITE was refused (the worker was full or stopping); no call id was ever given out."""

    TYPE: ClassVar[str] = "rejected"
    sip_call_id: str
    code: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Pong:
    """The answer to `Ping`; the pool consumes it and does not pass it on."""

    TYPE: ClassVar[str] = "pong"
    command_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorEvent:
    TYPE: ClassVar[str] = "error"
    command_id: str
    message: str


Event = (
    Ready
    | Incoming
    | Dialing
    | State
    | Dtmf
    | MediaEnded
    | Disconnected
    | Load
    | Rejected
    | Pong
    | ErrorEvent
)

COMMAND_TYPES: dict[str, type[Command]] = {
    cls.TYPE: cls
    for cls in (
        Answer,
        Hangup,
        Play,
        StopPlay,
        RecordStart,
        RecordStop,
        ListenStart,
        ListenStop,
        Bridge,
        Unbridge,
        Transmit,
        StopTransmit,
        MakeCall,
        Hold,
        Unhold,
        Ping,
        Shutdown,
    )
}
EVENT_TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (
        Ready,
        Incoming,
        Dialing,
        State,
        Dtmf,
        MediaEnded,
        Disconnected,
        Load,
        Rejected,
        Pong,
        ErrorEvent,
    )
}
