"""The console's live side: the board on connect, and after each stored batch of routing events the
figures it changed, pushed to every connected supervisor."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from gateway.acd import Event
from gateway.supervisor._board import Board

__all__ = ["Console", "SupervisorPush"]

logger = logging.getLogger("helpline.supervisor")


class SupervisorPush(Protocol):
    async def to_supervisors(self, event: str, data: Mapping[str, Any]) -> None: ...


class Console:
    """`board()` answers a console that connects (realtime.SupervisorActions); `heard(events)` is a routing
    event listener (RoutingPort.subscribe)."""

    def __init__(self, board: Board, push: SupervisorPush) -> None:
        self._board = board
        self._push = push

    async def board(self) -> dict[str, Any]:
        return self._board.snapshot()

    async def heard(self, events: Sequence[Event]) -> None:
        changes = self._board.changes(events)
        if changes is not None:
            await self._push.to_supervisors("board_changes", changes)
