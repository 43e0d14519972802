"""Frames of the control channel to and from the values of `_protocol`: one JSON object per line.

A frame is parsed once, here, into a frozen value; a malformed frame raises `ProtocolError` (carrying its
`command_id` when it had one) and changes nothing.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

from gateway.sip._protocol import COMMAND_TYPES, EVENT_TYPES, MAX_FRAME_BYTES, Command, Event, Headers
from gateway.sip.errors import ProtocolError

__all__ = ["encode", "parse_command", "parse_event"]

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
