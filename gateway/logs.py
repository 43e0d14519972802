"""Logging set-up: named `helpline.*` loggers, the interaction id on every line about it, secrets masked."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

__all__ = ["bind_interaction", "configure_logging", "current_interaction", "hide_in_logs"]

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
