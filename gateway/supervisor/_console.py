"""The console's live side: the board on connect, and what routing events changed pushed to every connected
supervisor. A change after a quiet spell goes out at once; under load, changes are gathered so that at most
one push goes out per window, and a burst of events costs one read of each figure. At each local midnight
the whole board goes out again: every "today" figure restarts, with or without an event; and every
`clock_every` seconds the figures that move with the clock alone (agents' occupancy) go out as
`board_clock`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import Any, Protocol

from gateway.acd import Event
from gateway.supervisor._board import Board

__all__ = ["Console", "SupervisorPush"]

logger = logging.getLogger("helpline.supervisor")

_PAST_MIDNIGHT = 0.5  # seconds: the new day's board is read safely inside the new day
CLOCK_EVERY = 30.0  # seconds between two pushes of the figures the clock alone moves


class SupervisorPush(Protocol):
    async def to_supervisors(self, event: str, data: Mapping[str, Any]) -> None: ...


class Console:
    """`board()` answers a console that connects (realtime.SupervisorActions); `saw(events)` watches the
    routing events as they are published (`AcdServer.watch`), after the routing server folded them. Changes
    go out on the loop's next turn (so the batches published in one turn go together), but no sooner than
    `window` seconds after the previous push. The whole board again at each local midnight, once a console
    connected or an event was seen (both on the event loop)."""

    def __init__(
        self, board: Board, push: SupervisorPush, *, window: float = 0.05, clock_every: float = CLOCK_EVERY
    ) -> None:
        if not 0 <= window <= 1:
            raise ValueError(f"console: window must be within 0..1 s, got {window}")
        if clock_every <= 0:
            raise ValueError(f"console: clock_every must be > 0 s, got {clock_every}")
        self._board = board
        self._push = push
        self._clock_every = clock_every
        self._ticks: asyncio.Task[None] | None = None
        self._window = window
        self._first_at: float | None = None
        self._seq = 0
        self._pushed_at = float("-inf")  # the loop's clock
        self._flush: asyncio.Task[None] | None = None
        self._days: asyncio.Task[None] | None = None

    async def board(self) -> dict[str, Any]:
        self._start_timers()
        return self._board.snapshot()

    def _start_timers(self) -> None:
        """The new day's board and the figures the clock moves, once a console connected or an event came."""
        if self._days is None:
            self._days = asyncio.create_task(self._new_days(), name="helpline.supervisor.days")
            self._ticks = asyncio.create_task(self._clock_figures(), name="helpline.supervisor.clock")

    async def _clock_figures(self) -> None:
        while True:
            await asyncio.sleep(self._clock_every)
            try:
                figures = self._board.clock_figures()
                if figures["agents"]:
                    await self._push.to_supervisors("board_clock", figures)
            except Exception:
                logger.exception("pushing the figures the clock moves failed")

    async def _new_days(self) -> None:
        while True:
            await asyncio.sleep(self._board.seconds_to_new_day() + _PAST_MIDNIGHT)
            try:
                await self._push.to_supervisors("board", self._board.snapshot())
            except Exception:
                logger.exception("pushing the new day's board failed")

    def saw(self, events: Sequence[Event]) -> None:
        self._start_timers()
        if not events or not self._board.changed():
            return
        self._seq = events[-1].seq
        if self._first_at is None:
            self._first_at = events[0].at
        if self._flush is None:
            wait = max(0.0, self._pushed_at + self._window - asyncio.get_running_loop().time())
            self._flush = asyncio.create_task(self._after(wait), name="helpline.supervisor.board")

    async def _after(self, wait: float) -> None:
        try:
            await asyncio.sleep(wait)
            first_at, self._first_at = self._first_at or 0.0, None
            self._flush = None
            self._pushed_at = asyncio.get_running_loop().time()
            changes = self._board.changes(seq=self._seq, event_at=first_at)
            await self._push.to_supervisors("board_changes", changes)
        except Exception:
            logger.exception("pushing the board's changes failed")
        finally:
            if self._flush is asyncio.current_task():
                self._flush = None

    async def close(self) -> None:
        for task in (self._flush, self._days, self._ticks):
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
