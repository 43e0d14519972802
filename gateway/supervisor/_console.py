"""The console's live side: the board on connect, and what routing events changed pushed to every connected
supervisor, gathered over a short window so that a burst of events costs one read of each figure."""

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


class SupervisorPush(Protocol):
    async def to_supervisors(self, event: str, data: Mapping[str, Any]) -> None: ...


class Console:
    """`board()` answers a console that connects (realtime.SupervisorActions); `saw(events)` watches the
    routing events as they are published (`AcdServer.watch`). Changes go out `window` seconds after the
    first event they follow: by then the routing server has folded the whole batch."""

    def __init__(self, board: Board, push: SupervisorPush, *, window: float = 0.1) -> None:
        if not 0 <= window <= 1:
            raise ValueError(f"console: window must be within 0..1 s, got {window}")
        self._board = board
        self._push = push
        self._window = window
        self._queues: set[str] = set()
        self._agents: set[str] = set()
        self._first_at: float | None = None
        self._seq = 0
        self._flush: asyncio.Task[None] | None = None

    async def board(self) -> dict[str, Any]:
        return self._board.snapshot()

    def saw(self, events: Sequence[Event]) -> None:
        queues, agents = self._board.touched(events)
        if not queues and not agents:
            return
        self._queues |= queues
        self._agents |= agents
        self._seq = events[-1].seq
        if self._first_at is None:
            self._first_at = events[0].at
        if self._flush is None:
            self._flush = asyncio.create_task(self._after_window(), name="helpline.supervisor.board")

    async def _after_window(self) -> None:
        try:
            await asyncio.sleep(self._window)
            queues, agents, first_at = self._queues, self._agents, self._first_at or 0.0
            self._queues, self._agents, self._first_at = set(), set(), None
            self._flush = None
            changes = self._board.changes(queues, agents, seq=self._seq, event_at=first_at)
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
