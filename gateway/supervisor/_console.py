"""The console's live side: the board on connect, and what routing events changed pushed to every connected
supervisor. A change after a quiet spell goes out at once; under load, changes are gathered so that at most
one push goes out per window, and a burst of events costs one read of each figure."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import Any, Protocol

from gateway.acd import Event
from gateway.supervisor._board import Board, Touched

__all__ = ["Console", "SupervisorPush"]

logger = logging.getLogger("helpline.supervisor")


class SupervisorPush(Protocol):
    async def to_supervisors(self, event: str, data: Mapping[str, Any]) -> None: ...


class Console:
    """`board()` answers a console that connects (realtime.SupervisorActions); `saw(events)` watches the
    routing events as they are published (`AcdServer.watch`), after the routing server folded them. Changes
    go out on the loop's next turn (so the batches published in one turn go together), but no sooner than
    `window` seconds after the previous push."""

    def __init__(self, board: Board, push: SupervisorPush, *, window: float = 0.05) -> None:
        if not 0 <= window <= 1:
            raise ValueError(f"console: window must be within 0..1 s, got {window}")
        self._board = board
        self._push = push
        self._window = window
        self._touched = Touched()
        self._first_at: float | None = None
        self._seq = 0
        self._pushed_at = float("-inf")  # the loop's clock
        self._flush: asyncio.Task[None] | None = None

    async def board(self) -> dict[str, Any]:
        return self._board.snapshot()

    def saw(self, events: Sequence[Event]) -> None:
        touched = self._board.touched(events)
        if not touched:
            return
        self._touched.update(touched)
        self._seq = events[-1].seq
        if self._first_at is None:
            self._first_at = events[0].at
        if self._flush is None:
            wait = max(0.0, self._pushed_at + self._window - asyncio.get_running_loop().time())
            self._flush = asyncio.create_task(self._after(wait), name="helpline.supervisor.board")

    async def _after(self, wait: float) -> None:
        try:
            await asyncio.sleep(wait)
            touched, first_at = self._touched, self._first_at or 0.0
            self._touched, self._first_at = Touched(), None
            self._flush = None
            self._pushed_at = asyncio.get_running_loop().time()
            changes = self._board.changes(touched, seq=self._seq, event_at=first_at)
            await self._push.to_supervisors("board_changes", changes)
        except Exception:
            logger.exception("pushing the board's changes failed")
        finally:
            if self._flush is asyncio.current_task():
                self._flush = None

    async def close(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
            with suppress(asyncio.CancelledError):
                await self._flush
