"""Pushes to agents' sockets, in event order per agent, without one agent holding up another.

An offer may wait a few milliseconds for its screen pop; only that agent's later pushes wait behind it,
and the routing core goes on delivering events to everyone else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from functools import partial

__all__ = ["AgentPushes"]

logger = logging.getLogger("helpline.realtime")

Push = Callable[[], Awaitable[None]]


class AgentPushes:
    def __init__(self) -> None:
        self._tails: dict[str, asyncio.Task[None]] = {}

    def send(self, agent_id: str, push: Push) -> None:
        """Run `push` after every push already sent to `agent_id`; returns at once."""
        task = asyncio.create_task(self._after(self._tails.get(agent_id), push), name=f"push-{agent_id}")
        self._tails[agent_id] = task
        task.add_done_callback(partial(self._done, agent_id))

    async def _after(self, previous: asyncio.Task[None] | None, push: Push) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # its own failure is logged there; ours goes out regardless
        try:
            await push()
        except Exception:
            logger.exception("push to an agent's socket failed")

    def _done(self, agent_id: str, task: asyncio.Task[None]) -> None:
        if self._tails.get(agent_id) is task:
            del self._tails[agent_id]

    async def drain(self) -> None:
        """Until every push sent so far has gone out."""
        while self._tails:
            await asyncio.wait(list(self._tails.values()))

    async def close(self) -> None:
        for task in list(self._tails.values()):
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
