"""A SQLite file's transactions run whole in one thread of their own: one hand-off per transaction.

Through aiosqlite every statement is several hand-offs between the event loop and aiosqlite's thread (the
cursor, the statement, its rows, closing the cursor, the commit), each a loop wake-up, and the write lock is
held across all of them while the loop serves everything else. A transaction written as one synchronous
function and run here costs one hand-off and holds the lock only while its statements run.

The connection is the stdlib driver's own, in autocommit mode (the transaction is the explicit
`BEGIN IMMEDIATE ... COMMIT`): the driver lets go of the GIL around every call into SQLite and must take it
back each time, which on a busy gateway means waiting for the event loop's thread to hand it over, so a
transaction here makes as few calls as it can.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

__all__ = ["SqliteThread"]

_R = TypeVar("_R")


class SqliteThread:
    """Runs `work(connection)` inside `BEGIN IMMEDIATE ... COMMIT` on a connection of this thread's own
    (stdlib sqlite3, the same file as the async engine); `configure` is called on each new connection."""

    def __init__(self, path: Path, *, configure: Callable[[sqlite3.Connection], None]) -> None:
        self._path = path
        self._configure = configure
        self._connection: sqlite3.Connection | None = None  # made, used and closed in the thread only
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="helpline-sqlite")

    async def run(self, work: Callable[[sqlite3.Connection], _R]) -> _R:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._transaction, work)

    def _transaction(self, work: Callable[[sqlite3.Connection], _R]) -> _R:
        connection = self._connect()
        try:
            # deferred, the write lock would come at the first write, after the reads it relies on
            connection.execute("BEGIN IMMEDIATE")
            result = work(connection)
            connection.commit()
        except BaseException:
            self._abandon(connection)
            raise
        return result

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(self._path, isolation_level=None)
            try:
                self._configure(connection)
            except BaseException:
                connection.close()
                raise
            self._connection = connection
        return self._connection

    def _abandon(self, connection: sqlite3.Connection) -> None:
        """Roll back what the failed transaction did; a connection that cannot is closed (the next
        transaction opens a new one)."""
        try:
            if connection.in_transaction:
                connection.rollback()
        except sqlite3.Error:
            self._connection = None
            connection.close()

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._close)
        await asyncio.to_thread(self._thread.shutdown)
