"""Logging set-up: named `helpline.*` loggers, and the interaction id bound to every line about it."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["bind_interaction", "configure_logging", "current_interaction"]

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


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(_InteractionFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s%(interaction)s: %(message)s"))
    root = logging.getLogger("helpline")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
