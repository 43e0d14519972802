"""Logging set-up: named `helpline.*` loggers, the interaction id on every line about it, secrets masked."""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

__all__ = [
    "LineBudget",
    "bind_interaction",
    "configure_logging",
    "current_interaction",
    "hide_in_logs",
    "suppressed_note",
]

_SHORTEST_SECRET = 4  # masking shorter text would garble every line that happens to contain it

_interaction: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "helpline_interaction", default=None
)


def current_interaction() -> str | None:
    return _interaction.get()


@contextmanager
def bind_interaction(interaction_id: str | None) -> Iterator[None]:
    """Every log line written inside the block (and in tasks it starts) carries this interaction id."""
    token = _interaction.set(interaction_id)
    try:
        yield
    finally:
        _interaction.reset(token)


class LineBudget:
    """At most `lines_per_minute` log lines a minute for lines a stranger can cause (bad frames, refused SIP
    requests); the lines over it are not written but counted, and the count is told with the next line."""

    def __init__(self, *, lines_per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if lines_per_minute < 1:
            raise ValueError("line budget: lines_per_minute must be >= 1")
        self._lines_per_minute = lines_per_minute
        self._clock = clock
        self._window_start = clock()
        self._lines = 0
        self._suppressed = 0

    @property
    def suppressed(self) -> int:
        """Lines suppressed and not yet told."""
        return self._suppressed

    def allow_line(self) -> int | None:
        """None when the budget is spent; else how many lines were suppressed since the last one."""
        now = self._clock()
        if now - self._window_start >= 60:
            self._window_start, self._lines = now, 0
        if self._lines >= self._lines_per_minute:
            self._suppressed += 1
            return None
        self._lines += 1
        return self.take_suppressed()

    def take_suppressed(self) -> int:
        """The suppressed lines' count, to be told now (it starts again from 0)."""
        suppressed, self._suppressed = self._suppressed, 0
        return suppressed


def suppressed_note(count: int) -> str:
    """The tail of a log line telling how many lines before it were suppressed ("" when none)."""
    return f" ({count} similar lines suppressed before this one)" if count else ""


class _InteractionFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        interaction = _interaction.get()
        record.interaction = f" [interaction={interaction}]" if interaction else ""
        return True


class _MaskingFormatter(logging.Formatter):
    """Replaces each known secret in the finished line, tracebacks and arguments included."""

    def __init__(self, fmt: str) -> None:
        super().__init__(fmt)
        self.secrets: tuple[str, ...] = ()

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        for secret in self.secrets:
            line = line.replace(secret, "***")
        return line


def hide_in_logs(secrets: Iterable[str]) -> None:
    """Mask these values (the configuration's passwords, tokens, keys) in every `helpline.*` log line."""
    hidden = {s for s in secrets if len(s) >= _SHORTEST_SECRET}
    for handler in logging.getLogger("helpline").handlers:
        if isinstance(handler.formatter, _MaskingFormatter):
            # Longest first, so a secret containing another is masked whole.
            merged = hidden | set(handler.formatter.secrets)
            handler.formatter.secrets = tuple(sorted(merged, key=len, reverse=True))


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(_InteractionFilter())
    handler.setFormatter(_MaskingFormatter("%(asctime)s %(levelname)s %(name)s%(interaction)s: %(message)s"))
    root = logging.getLogger("helpline")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
