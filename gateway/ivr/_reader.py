"""Reading YAML-loaded data with paths: every mistake becomes a FlowError, reading goes on.

A reader never raises on bad input: it records `path: message` and returns a default, so one pass
over the flows reports every problem at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field

from gateway.ivr._model import Target
from gateway.ivr._targets import TargetTable, did_you_mean
from gateway.ivr.errors import FlowError

__all__ = [
    "DIGITS",
    "Props",
    "Scope",
    "child",
    "describe",
    "index",
    "known_queue",
    "read_digit",
    "read_name",
    "read_pattern",
    "read_text",
]

DIGITS = frozenset("0123456789*#")
_ATTRIBUTE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def describe(value: object) -> str:
    """How a bad value is quoted in a message: `'abc'`, `3`, `true`, `null`, `a list`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return repr(value)
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def child(path: str, key: object) -> str:
    if isinstance(key, str) and _PLAIN_KEY.match(key):
        return f"{path}.{key}"
    return f"{path}[{key!r}]"


def index(path: str, position: int) -> str:
    return f"{path}[{position}]"


@dataclass(slots=True)
class Scope:
    """What a step is read against: known flows/labels, queues, business hours, the language callers
    speak (`speech.language`), and the error list."""

    targets: TargetTable
    queues: Set[str]
    business_hours: Set[str]
    language: str = "en"
    flow: str = ""
    errors: list[FlowError] = field(default_factory=list)

    def error(self, path: str, message: str) -> None:
        self.errors.append(FlowError(path, message))

    def target(self, value: object, path: str) -> Target | None:
        text = read_text(self, value, path)
        if text is None:
            return None
        resolved = self.targets.resolve(text, self.flow)
        if isinstance(resolved, str):
            self.error(path, resolved)
            return None
        return resolved


def read_text(scope: Scope, value: object, path: str) -> str | None:
    if not isinstance(value, str):
        scope.error(path, f"expected text, got {describe(value)}")
        return None
    if not value.strip():
        scope.error(path, "must not be empty")
        return None
    return value


def read_name(scope: Scope, value: object, path: str) -> str | None:
    """An attribute name: letters, digits, `_`, `.`, `-` (e.g. `account_number`, `customer.tier`)."""
    text = read_text(scope, value, path)
    if text is not None and not _ATTRIBUTE.match(text):
        scope.error(path, f"invalid attribute name {text!r}: use letters, digits, '_', '.' or '-'")
        return None
    return text


def read_pattern(scope: Scope, value: object, path: str) -> re.Pattern[str] | None:
    text = read_text(scope, value, path)
    if text is None:
        return None
    try:
        return re.compile(text)
    except re.error as exc:
        scope.error(path, f"bad pattern {text!r}: {exc}")
        return None


def read_digit(scope: Scope, value: object, path: str) -> str | None:
    # YAML reads an unquoted `1:` as the integer 1; accept it as the key '1'.
    digit = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(digit, str) and digit in DIGITS:
        return digit
    scope.error(path, f"bad digit {describe(value)}: expected one of 0-9, * or #")
    return None


class Props:
    """The properties of one YAML mapping: unknown and missing keys are reported on construction."""

    def __init__(
        self,
        scope: Scope,
        raw: Mapping[object, object],
        path: str,
        *,
        allowed: Sequence[str],
        required: Sequence[str] = (),
    ) -> None:
        self.scope, self.raw, self.where = scope, raw, path
        for key in raw:
            if key not in allowed:
                hint = did_you_mean(key, allowed) if isinstance(key, str) else ""
                scope.error(child(path, key), f"unknown property {describe(key)}{hint}")
        for key in required:
            if raw.get(key) is None:
                scope.error(path, f"missing property {key!r}")

    @classmethod
    def of(
        cls, scope: Scope, value: object, path: str, *, allowed: Sequence[str], required: Sequence[str] = ()
    ) -> Props | None:
        if not isinstance(value, Mapping):
            scope.error(path, f"expected a mapping, got {describe(value)}")
            return None
        return cls(scope, value, path, allowed=allowed, required=required)

    def has(self, key: str) -> bool:
        return key in self.raw and self.raw[key] is not None

    def path(self, key: str) -> str:
        return child(self.where, key)

    def get(self, key: str) -> object:
        return self.raw.get(key)

    def text(self, key: str, default: str = "") -> str:
        if not self.has(key):
            return default
        value = read_text(self.scope, self.raw[key], self.path(key))
        return default if value is None else value

    def optional_text(self, key: str) -> str | None:
        return self.text(key) or None

    def name(self, key: str) -> str:
        if not self.has(key):
            return ""
        return read_name(self.scope, self.raw[key], self.path(key)) or ""

    def number(self, key: str, default: float, *, minimum: float = 0.0, maximum: float = 86400.0) -> float:
        """A number in (minimum, maximum]: durations and intervals, never zero."""
        value = self.raw.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.scope.error(self.path(key), f"expected a number, got {describe(value)}")
            return default
        if not minimum < value <= maximum:
            self.scope.error(self.path(key), f"must be greater than {minimum:g} and at most {maximum:g}")
            return default
        return float(value)

    def integer(self, key: str, default: int, *, minimum: int = 0, maximum: int = 1000) -> int:
        value = self.raw.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.scope.error(self.path(key), f"expected a whole number, got {describe(value)}")
            return default
        if not minimum <= value <= maximum:
            self.scope.error(self.path(key), f"must be between {minimum} and {maximum}, got {value}")
            return default
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.scope.error(self.path(key), f"expected true or false, got {describe(value)}")
            return default
        return value

    def digit(self, key: str) -> str | None:
        return read_digit(self.scope, self.raw[key], self.path(key)) if self.has(key) else None

    def pattern(self, key: str) -> re.Pattern[str] | None:
        return read_pattern(self.scope, self.raw[key], self.path(key)) if self.has(key) else None

    def target(self, key: str, default: Target) -> Target:
        return self.optional_target(key) or default

    def optional_target(self, key: str) -> Target | None:
        return self.scope.target(self.raw[key], self.path(key)) if self.has(key) else None


def known_queue(scope: Scope, value: object, path: str) -> str | None:
    """A queue name the configuration defines, or None with the error noted."""
    name = read_text(scope, value, path)
    if name is not None and name not in scope.queues:
        scope.error(path, f"unknown queue {name!r}{did_you_mean(name, scope.queues)}")
        return None
    return name
