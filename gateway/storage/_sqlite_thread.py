"""A SQLite file's transactions run whole in one thread of their own: one hand-off per transaction.

Through aiosqlite every statement is several hand-offs between the event loop and aiosqlite's thread (the
cursor, the statement, its rows, closing the cursor, the commit), each a loop wake-up, and the write lock is
held across all of them while the loop serves everything else. A transaction written as one synchronous
function and run here costs one hand-off and holds the lock only while its statements run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

__all__ = ["SqliteThread"]

_R = TypeVar("_R")


class SqliteThread:
    """Runs `work(connection)` inside `BEGIN IMMEDIATE ... COMMIT` on a connection of this thread's own
    (stdlib sqlite3, the same file as the async engine); `configure` is called on each new connection."""

    def __init__(self, url: str, *, configure: Callable[[Any, Any], None]) -> None:
        sync_url = make_url(url).set(drivername="sqlite+pysqlite")
        self._engine: Engine = create_engine(sync_url, pool_size=1, max_overflow=0)
        event.listen(self._engine, "connect", configure)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="helpline-sqlite")

    async def run(self, work: Callable[[Connection], _R]) -> _R:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._transaction, work)

    def _transaction(self, work: Callable[[Connection], _R]) -> _R:
        with self._engine.begin() as connection:
            # deferred, the write lock would come at the first write, after the reads it relies on
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return work(connection)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._engine.dispose)
        await asyncio.to_thread(self._thread.shutdown)
