"""Readers of event data: event data is JSON by contract, and these turn a violation into a clear error
instead of bad state. Live routing and replay both read events through them.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._model import AttributeValue, CustomerContext
from .events import JSON, Event
from .specs import Channel

__all__ = [
    "agent_id",
    "attributes",
    "channel",
    "customer",
    "float_of",
    "int_of",
    "interaction_id",
    "mapping",
    "opt_str",
    "requirements_of",
    "str_of",
]


def interaction_id(ev: Event) -> str:
    if ev.interaction_id is None:
        raise ValueError(f"event {ev.seq} ({ev.type}) has no interaction_id")
    return ev.interaction_id


def agent_id(ev: Event) -> str:
    if ev.agent_id is None:
        raise ValueError(f"event {ev.seq} ({ev.type}) has no agent_id")
    return ev.agent_id


def str_of(d: Mapping[str, JSON], key: str) -> str:
    value = d.get(key)
    if not isinstance(value, str):
        raise ValueError(f"event data {key!r} must be a string, got {value!r}")
    return value


_CHANNELS = {str(c): c for c in Channel}


def channel(value: str) -> Channel:
    found = _CHANNELS.get(value)  # a dict lookup: calling the enum costs a routing call about a microsecond
    return found if found is not None else Channel(value)  # raises the enum's own error


def opt_str(d: Mapping[str, JSON], key: str) -> str | None:
    return None if d.get(key) is None else str_of(d, key)


def int_of(d: Mapping[str, JSON], key: str) -> int:
    value = d.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"event data {key!r} must be an integer, got {value!r}")
    return value


def float_of(d: Mapping[str, JSON], key: str) -> float:
    value = d.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"event data {key!r} must be a number, got {value!r}")
    return float(value)


def mapping(d: Mapping[str, JSON], key: str) -> Mapping[str, JSON]:
    value = d.get(key)
    if not isinstance(value, dict):
        raise ValueError(f"event data {key!r} must be an object, got {value!r}")
    return value


def requirements_of(raw: JSON) -> tuple[tuple[str, int], ...]:
    if not isinstance(raw, list):
        raise ValueError(f"skills must be a list of [skill, level], got {raw!r}")
    out: list[tuple[str, int]] = []
    for pair in raw:
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and isinstance(pair[0], str)
            and isinstance(pair[1], int)
        ):
            raise ValueError(f"skills must be a list of [skill, level], got {raw!r}")
        out.append((pair[0], pair[1]))
    return tuple(out)


def attributes(raw: JSON) -> tuple[tuple[str, AttributeValue], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise ValueError(f"attributes must be an object, got {raw!r}")
    out: list[tuple[str, AttributeValue]] = []
    for k, v in sorted(raw.items()):
        if not isinstance(v, str | int | float | bool):
            raise ValueError(f"attribute {k!r} must be a string, number or boolean")
        out.append((k, v))
    return tuple(out)


def customer(raw: JSON) -> CustomerContext | None:
    if raw is None:
        return None  # absent from logs written before it existed
    if not isinstance(raw, dict):
        raise ValueError(f"customer must be an object, got {raw!r}")
    return CustomerContext.from_dict(raw)
