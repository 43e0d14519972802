"""The control channel between the gateway and a media worker: one JSON object per line.

Every frame carries a `type`; the other keys are the fields of the matching dataclass below. Frames are
parsed once, here, into frozen values; a malformed frame raises `ProtocolError` and changes nothing.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any, ClassVar, TypeVar

from gateway.sip.errors import ProtocolError

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
    "Load",
    "MakeCall",
    "MediaEnded",
    "Play",
    "Ready",
    "RecordStart",
    "RecordStop",
    "Rejected",
    "Shutdown",
    "State",
    "StopPlay",
    "Unbridge",
    "Unhold",
    "encode",
    "parse_command",
    "parse_event",
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
    | Bridge
    | Unbridge
    | MakeCall
    | Hold
    | Unhold
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
class ErrorEvent:
    TYPE: ClassVar[str] = "error"
    command_id: str
    message: str


Event = Ready | Incoming | Dialing | State | Dtmf | MediaEnded | Disconnected | Load | Rejected | ErrorEvent

COMMAND_TYPES: dict[str, type[Command]] = {
    cls.TYPE: cls
    for cls in (
        Answer,
        Hangup,
        Play,
        StopPlay,
        RecordStart,
        RecordStop,
        Bridge,
        Unbridge,
        MakeCall,
        Hold,
        Unhold,
        Shutdown,
    )
}
EVENT_TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (Ready, Incoming, Dialing, State, Dtmf, MediaEnded, Disconnected, Load, Rejected, ErrorEvent)
}

_T = TypeVar("_T")


def encode(message: Command | Event) -> str:
    """One frame, newline included."""
    body: dict[str, Any] = {"type": message.TYPE}
    for field in dataclasses.fields(message):
        body[field.name] = getattr(message, field.name)
    return json.dumps(body, separators=(",", ":")) + "\n"


def parse_command(frame: str | bytes) -> Command:
    return _parse(frame, COMMAND_TYPES, "command")


def parse_event(frame: str | bytes) -> Event:
    return _parse(frame, EVENT_TYPES, "event")


def _parse(frame: str | bytes, table: dict[str, type[_T]], what: str) -> _T:
    body = _load_object(frame)
    command_id = body.get("command_id")
    command_id = command_id if isinstance(command_id, str) else ""
    kind = body.pop("type", None)
    cls = table.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ProtocolError(
            f"unknown {what} type {kind!r}; expected one of: {', '.join(sorted(table))}",
            command_id=command_id,
        )
    try:
        return _build(cls, kind, body)
    except (TypeError, ValueError) as exc:
        raise ProtocolError(str(exc), command_id=command_id) from None


def _load_object(frame: str | bytes) -> dict[str, Any]:
    if len(frame) > MAX_FRAME_BYTES:
        raise ProtocolError(f"frame of {len(frame)} bytes exceeds {MAX_FRAME_BYTES}")
    try:
        body = json.loads(frame)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"frame is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ProtocolError(f"frame must be a JSON object, got {type(body).__name__}")
    return body


def _build(cls: type[_T], kind: str, body: dict[str, Any]) -> _T:
    frame_cls: type = cls
    hints = _hints(frame_cls)
    unknown = sorted(set(body) - set(hints))
    if unknown:
        raise ValueError(f"{kind}: unknown field {unknown[0]!r}")
    values = {name: _coerce(body[name], hints[name], f"{kind}.{name}") for name in hints if name in body}
    missing = [name for name, required in _required(frame_cls).items() if required and name not in values]
    if missing:
        raise ValueError(f"{kind}: missing field {missing[0]!r}")
    return cls(**values)


@cache
def _required(cls: type) -> dict[str, bool]:
    return {
        field.name: field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        for field in dataclasses.fields(cls)
    }


@cache
def _hints(cls: type) -> dict[str, Any]:
    names = set(_required(cls))
    return {name: hint for name, hint in typing.get_type_hints(cls).items() if name in names}


def _coerce(value: Any, hint: Any, where: str) -> Any:
    if hint is Headers or hint == Headers:
        return _headers(value, where)
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        if value not in {member.value for member in hint}:
            raise ValueError(f"{where}: {value!r} is not one of {', '.join(m.value for m in hint)}")
        return hint(value)
    if hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is str:
        ok = isinstance(value, str)
    else:
        raise TypeError(f"{where}: unsupported field type {hint!r}")
    if not ok:
        raise ValueError(f"{where}: expected {hint.__name__}, got {type(value).__name__}")
    return value


def _headers(value: Any, where: str) -> Headers:
    if not isinstance(value, list | tuple):
        raise ValueError(f"{where}: expected a list of [name, value] pairs")
    pairs: list[tuple[str, str]] = []
    for item in value:
        if not (isinstance(item, list | tuple) and len(item) == 2 and all(isinstance(s, str) for s in item)):
            raise ValueError(f"{where}: each header must be a [name, value] pair of strings")
        if not item[0] or any(c in item[0] + item[1] for c in "\r\n"):
            raise ValueError(f"{where}: header {item[0]!r} has an empty name or a line break")
        pairs.append((item[0], item[1]))
    return tuple(pairs)
