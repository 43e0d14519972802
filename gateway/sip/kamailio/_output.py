"""Kamailio's output in the gateway's log: each line at its level, and no more than a budget a minute from
any one source, since most of what Kamailio prints is caused by whoever sends it SIP.

A refused request writes a NOTICE line and a malformed one a few ERROR lines from Kamailio's parser, from any
spoofed address; unthrottled, 2,000 bad datagrams once wrote 900 KB of log. So the lines of each (level,
source) pair, where the source is the module and for Kamailio's core the folder of the file that printed
(`<script>`, `sanity`, `<core> core/parser`), share a budget of lines a minute; the lines over it are counted
and told: with the source's next line, a minute after the first one left out, and when Kamailio stops.
Each source keeps its own budget, so a flood of refusals does not hide an error from elsewhere, and ALERT, BUG
and CRITICAL lines (Kamailio's own failures, logged as errors) have budgets apart from ERROR's; none is
unlimited, since a parser error quotes the request over several lines, and a quoted line may imitate any.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from gateway.logs import LineBudget, suppressed_note

__all__ = ["OutputRelay"]

LINES_PER_MINUTE = 20
"""Per (level, source): enough to see what is going on, and what a flood adds is ~3 KB a minute each."""

_LONGEST_LINE = 400  # the parser's errors quote the request, which may be 64 KB
_MOST_SOURCES = 64  # sources are Kamailio's modules, but a quoted request can imitate a line's head
_LEVELS = (
    (("ALERT:", "BUG:", "CRITICAL:"), logging.CRITICAL),
    (("ERROR:",), logging.ERROR),
    (("WARNING:",), logging.WARNING),
    (("NOTICE: <core>",), logging.DEBUG),  # start/stop chatter ("Thank you for flying kamailio!!!")
    (("NOTICE:",), logging.INFO),
)
_OTHER = "other lines"


class OutputRelay:
    """Logs Kamailio's output lines on `logger`; `flush()` tells the lines left out and not yet told."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        lines_per_minute: int = LINES_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if lines_per_minute < 1:
            raise ValueError("kamailio output: lines_per_minute must be >= 1")
        self._logger = logger
        self._lines_per_minute = lines_per_minute
        self._clock = clock
        self._budgets: dict[str, LineBudget] = {}
        self._flush: asyncio.TimerHandle | None = None

    def relay(self, line: str) -> None:
        level = line_level(line)
        if not self._logger.isEnabledFor(level):
            return
        source = self._source(line, level)
        suppressed = self._budgets[source].allow_line()
        if suppressed is None:
            self._flush_later()
            return
        shown = min(level, logging.ERROR)  # Kamailio's ALERT, BUG, CRITICAL: errors in the gateway's log
        self._logger.log(shown, "%s%s", _shortened(line), suppressed_note(suppressed))

    def overlong(self) -> None:
        """A line too long to read was dropped."""
        if self._logger.isEnabledFor(logging.WARNING):
            suppressed = self._budgets[self._key("WARNING overlong lines")].allow_line()
            if suppressed is None:
                self._flush_later()
                return
            self._logger.warning("kamailio wrote a line over 64 KB: dropped%s", suppressed_note(suppressed))

    def flush(self) -> None:
        """One line per source saying how many of its lines were left out since it was last told."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        for source, budget in self._budgets.items():
            if count := budget.take_suppressed():
                self._logger.warning(
                    "%d lines of kamailio's %s suppressed (over %d a minute)",
                    count,
                    source,
                    self._lines_per_minute,
                )

    def _source(self, line: str, level: int) -> str:
        return self._key(f"{logging.getLevelName(level)} {_source_of(line)}")

    def _key(self, key: str) -> str:
        if key not in self._budgets and len(self._budgets) >= _MOST_SOURCES:
            key = _OTHER
        if key not in self._budgets:
            self._budgets[key] = LineBudget(lines_per_minute=self._lines_per_minute, clock=self._clock)
        return key

    def _flush_later(self) -> None:
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(60, self.flush)


def line_level(line: str) -> int:
    head = line[:80]
    for markers, level in _LEVELS:
        if any(marker in head for marker in markers):
            return level
    return logging.DEBUG


def _source_of(line: str) -> str:
    """`<script>`, `sanity`, `<core> core/parser` from ` 2(7515) ERROR: <core> [core/parser/x.c:12]: ...`;
    the lines that do not start like that (a quoted request's continuation lines) share one source."""
    _, colon, rest = line.partition(": ")
    words = rest.split(" ", 2)
    if not colon or not words[0] or not line.lstrip()[:1].isdigit():
        return _OTHER
    module = words[0].rstrip(":")
    if module == "<core>" and len(words) > 1 and words[1].startswith("[") and "/" in words[1]:
        return f"{module} {words[1][1:].rpartition('/')[0]}"
    return module


def _shortened(line: str) -> str:
    if len(line) <= _LONGEST_LINE:
        return line
    return f"{line[:_LONGEST_LINE]} [... {len(line) - _LONGEST_LINE} more characters]"
