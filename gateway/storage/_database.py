"""The database service: connects with backoff, migrates at start, stores events, interactions, presence."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import itertools
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from alembic.util.exc import CommandError
from sqlalchemy import Connection, Row, Table, event, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
    StatementError,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from ._migrations import load_scripts, upgrade_to_head
from ._sqlite_thread import SqliteThread
from ._tables import AgentPresence, DeadLetterRow, Interaction, Recording, RoutingEvent
from ._urls import normalize_url, redact_url, sqlite_path
from .errors import DatabaseUnavailable, MigrationError, RejectedData, StorageError
from .records import DeadLetter, EventRecord, InteractionRecord, PresenceSpan, RecordingRecord

__all__ = ["Database"]

logger = logging.getLogger("helpline.storage")

_R = TypeVar("_R", DeadLetter, EventRecord, InteractionRecord, PresenceSpan, RecordingRecord)
_T = TypeVar("_T")

_FIRST_DELAY = 0.2
_MAX_DELAY = 5.0
# Serialises migrations when several gateway nodes start against one PostgreSQL ("help" in ASCII).
_PG_MIGRATION_LOCK = 0x68656C70
# SQLSTATE classes a server recovers from by itself: connection exceptions, starting up, too many clients.
_TRANSIENT_SQLSTATES = ("08", "57P03", "53300")
# SQLSTATE classes for values the server refuses: data exception, integrity constraint violation.
_REFUSED_SQLSTATES = ("22", "23")
_TRANSIENT_SQLITE = frozenset({"SQLITE_BUSY", "SQLITE_LOCKED"})

_events: Table = RoutingEvent.__table__  # type: ignore[assignment]
_interactions: Table = Interaction.__table__  # type: ignore[assignment]
_presence: Table = AgentPresence.__table__  # type: ignore[assignment]
_recordings: Table = Recording.__table__  # type: ignore[assignment]
_dead_letters: Table = DeadLetterRow.__table__  # type: ignore[assignment]
_REF_LENGTH = 128


class Database:
    """Helpline's records in SQLite (embedded default) or PostgreSQL, schema migrated by `start()`."""

    def __init__(self, url: str, *, connect_timeout: float = 30.0, echo: bool = False) -> None:
        if connect_timeout <= 0:
            raise ValueError(f"database: connect_timeout must be > 0, got {connect_timeout}")
        self._url = normalize_url(url)
        self._redacted = redact_url(self._url)
        self._password = make_url(self._url).password
        self._connect_timeout = connect_timeout
        self._echo = echo
        self._engine: AsyncEngine | None = None
        self._sqlite_thread: SqliteThread | None = None  # a SQLite file's whole transactions

    @property
    def url(self) -> str:
        """The normalised URL with the password masked, fit for logs."""
        return self._redacted

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("Database.start() must complete before the database is used")
        return self._engine

    async def start(self) -> None:
        """Connect (retrying transient failures until `connect_timeout`) and migrate to the head revision."""
        if self._engine is not None:
            return
        engine = await self._create_engine()
        try:
            await self._wait_until_reachable(engine)
            await self._migrate(engine)
        except BaseException:
            await engine.dispose()
            raise
        self._engine = engine
        path = sqlite_path(self._url)
        if path is not None:
            self._sqlite_thread = SqliteThread(path, configure=_sqlite_pragmas)

    async def close(self) -> None:
        """Close every pooled connection; `start()` may be called again afterwards."""
        engine, self._engine = self._engine, None
        thread, self._sqlite_thread = self._sqlite_thread, None
        if thread is not None:
            await thread.close()
        if engine is not None:
            await engine.dispose()

    # -- routing event log

    async def append_events(self, events: Sequence[EventRecord]) -> None:
        """Store `events` in one batch; a seq already stored is skipped, so replays are harmless."""
        if not events:
            return
        rows = [dataclasses.asdict(record) for record in events]
        async with self._transaction() as connection:
            insert = _insert_for(connection, _events).on_conflict_do_nothing(index_elements=["seq"])
            await connection.execute(insert, rows)

    async def events_since(self, seq: int = 0, limit: int | None = None) -> list[EventRecord]:
        """Events with a sequence number above `seq`, oldest first (pass the last seq you have seen)."""
        if limit is not None and limit < 0:
            raise ValueError(f"events_since: limit must be >= 0, got {limit}")
        query = select(_events).where(_events.c.seq > seq).order_by(_events.c.seq).limit(limit)
        async with self._transaction() as connection:
            result = await connection.execute(query)
            return [_record(EventRecord, row) for row in result]

    async def latest_events_of(self, kind: str, *, limit: int = 100) -> list[EventRecord]:
        """The latest `limit` events of type `kind`, newest first (e.g. the supervisors' audit trail)."""
        if limit < 1:
            raise ValueError(f"latest_events_of: limit must be >= 1, got {limit}")
        query = select(_events).where(_events.c.type == kind).order_by(_events.c.seq.desc()).limit(limit)
        async with self._transaction() as connection:
            result = await connection.execute(query)
            return [_record(EventRecord, row) for row in result]

    async def last_event_seq(self) -> int:
        """The highest stored sequence number, 0 when the log is empty."""
        async with self._transaction() as connection:
            last = await connection.scalar(select(func.max(_events.c.seq)))
            return int(last or 0)

    # -- interactions

    async def save_interaction(self, record: InteractionRecord) -> None:
        """Insert the interaction, or replace every column of the stored one with the same id."""
        row = dataclasses.asdict(record)
        async with self._transaction() as connection:
            insert = _insert_for(connection, _interactions).values(row)
            changed = {name: insert.excluded[name] for name in row if name != "id"}
            await connection.execute(insert.on_conflict_do_update(index_elements=["id"], set_=changed))

    async def get_interaction(self, interaction_id: str) -> InteractionRecord | None:
        async with self._transaction() as connection:
            result = await connection.execute(
                select(_interactions).where(_interactions.c.id == interaction_id)
            )
            row = result.one_or_none()
            return None if row is None else _record(InteractionRecord, row)

    async def save_recording(self, record: RecordingRecord) -> None:
        async with self._transaction() as connection:
            await connection.execute(_recordings.insert().values(**dataclasses.asdict(record)))

    async def get_recording(self, recording_id: str) -> RecordingRecord | None:
        async with self._transaction() as connection:
            result = await connection.execute(select(_recordings).where(_recordings.c.id == recording_id))
            row = result.one_or_none()
            return None if row is None else _record(RecordingRecord, row)

    async def recordings_past(
        self, queue_id: str, before: datetime, limit: int = 100
    ) -> list[RecordingRecord]:
        """Kept recordings of the queue's interactions started before `before`, oldest first."""
        _require_aware("before", before)
        query = (
            select(_recordings)
            .join(_interactions, _interactions.c.id == _recordings.c.interaction_id)
            .where(
                (_interactions.c.queue_id == queue_id)
                & (_recordings.c.started_at < before)
                & _recordings.c.purged_at.is_(None)
            )
            .order_by(_recordings.c.started_at, _recordings.c.id)
            .limit(limit)
        )
        async with self._transaction() as connection:
            return [_record(RecordingRecord, row) for row in await connection.execute(query)]

    async def mark_recording_purged(self, recording_id: str, at: datetime) -> None:
        async with self._transaction() as connection:
            await connection.execute(
                update(_recordings).where(_recordings.c.id == recording_id).values(purged_at=at)
            )

    async def recordings_of(self, interaction_id: str) -> list[RecordingRecord]:
        async with self._transaction() as connection:
            result = await connection.execute(
                select(_recordings)
                .where(_recordings.c.interaction_id == interaction_id)
                .order_by(_recordings.c.started_at, _recordings.c.kind)
            )
            return [_record(RecordingRecord, row) for row in result]

    async def list_interactions(
        self,
        *,
        agent_id: str | None = None,
        queue_id: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[InteractionRecord]:
        """Interactions created at or after `since`, oldest first, optionally for one agent and/or queue."""
        _check_page(limit, offset)
        _require_aware("since", since)
        query = select(_interactions).order_by(_interactions.c.created_at, _interactions.c.id)
        if agent_id is not None:
            query = query.where(_interactions.c.agent_id == agent_id)
        if queue_id is not None:
            query = query.where(_interactions.c.queue_id == queue_id)
        if since is not None:
            query = query.where(_interactions.c.created_at >= since)
        async with self._transaction() as connection:
            result = await connection.execute(query.limit(limit).offset(offset))
            return [_record(InteractionRecord, row) for row in result]

    # -- agent presence

    async def record_presence(
        self, agent_id: str, state: str, reason: str | None, at: datetime
    ) -> PresenceSpan:
        """Close the agent's open span at `at` and open one for `state`; the returned span is the open one.

        The same state and reason as the open span changes nothing. `at` earlier than the start of the open
        span is refused with ValueError.
        """
        span = PresenceSpan(agent_id=agent_id, state=state, reason=reason, at=at)
        is_open = (_presence.c.agent_id == agent_id) & _presence.c.ended_at.is_(None)
        async with self._transaction(lock=f"presence:{agent_id}") as connection:
            result = await connection.execute(select(*_span_columns()).where(is_open).with_for_update())
            current = result.one_or_none()
            if current is not None:
                if current.state == state and current.reason == reason:
                    return _record(PresenceSpan, current)
                if at < current.at:
                    raise ValueError(
                        f"agent {agent_id!r}: presence at {at.isoformat()} is before the open "
                        f"{current.state!r} span started at {current.at.isoformat()}"
                    )
                await connection.execute(update(_presence).where(is_open).values(ended_at=at))
            await connection.execute(
                _presence.insert().values(agent_id=agent_id, state=state, reason=reason, at=at)
            )
        return span

    async def presence_history(self, agent_id: str, since: datetime | None = None) -> list[PresenceSpan]:
        """The agent's spans that were still running at or after `since`, oldest first, the open one last."""
        _require_aware("since", since)
        query = select(*_span_columns()).where(_presence.c.agent_id == agent_id)
        if since is not None:
            query = query.where(_presence.c.ended_at.is_(None) | (_presence.c.ended_at > since))
        async with self._transaction() as connection:
            result = await connection.execute(query.order_by(_presence.c.at, _presence.c.id))
            return [_record(PresenceSpan, row) for row in result]

    # -- dead letters

    async def add_dead_letter(self, letter: DeadLetter) -> bool:
        """Keep a refused write; False when the same one (kind, ref, payload) is already kept."""
        key = hashlib.sha256("\0".join((letter.kind, letter.ref, letter.payload)).encode()).hexdigest()
        row = dataclasses.asdict(letter) | {"key": key, "ref": letter.ref[:_REF_LENGTH]}
        # PostgreSQL's text refuses NUL alone; a dead letter must be storable whatever it holds.
        row = {k: v.replace("\0", "\\0") if isinstance(v, str) else v for k, v in row.items()}
        async with self._transaction() as connection:
            insert = _insert_for(connection, _dead_letters).on_conflict_do_nothing(index_elements=["key"])
            result = await connection.execute(insert.values(row))
            return bool(result.rowcount)

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The refused writes, oldest first."""
        query = select(_dead_letters).order_by(_dead_letters.c.id).limit(limit)
        async with self._transaction() as connection:
            return [_record(DeadLetter, row) for row in await connection.execute(query)]

    # -- connection handling

    async def _create_engine(self) -> AsyncEngine:
        # Off the loop: both the directory and SQLAlchemy's resolution of a relative file path touch the disk.
        return await asyncio.to_thread(self._create_engine_blocking)

    def _create_engine_blocking(self) -> AsyncEngine:
        path = sqlite_path(self._url)
        if path is not None:
            try:
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                # Owner-only, and SQLite gives its -wal and -shm files the database file's mode.
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
                _owner_only(path)
            except OSError as exc:
                raise DatabaseUnavailable(
                    self._redacted, f"cannot create {exc.filename or path}: {exc.strerror}"
                ) from exc
        options: dict[str, Any] = {"echo": self._echo, "pool_pre_ping": True}
        is_sqlite = self._url.startswith("sqlite")
        if is_sqlite and path is None:
            # One shared connection: each new one would open its own, empty, in-memory database.
            options["poolclass"] = StaticPool
        engine = create_async_engine(self._url, **options)
        if is_sqlite:
            event.listen(engine.sync_engine, "connect", _configure_sqlite)
        return engine

    async def _wait_until_reachable(self, engine: AsyncEngine) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._connect_timeout
        delay = _FIRST_DELAY
        for attempt in itertools.count(1):
            try:
                async with asyncio.timeout(deadline - loop.time()), engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
            except Exception as exc:
                reason = self._describe(exc)
                if not _is_transient(exc) or loop.time() + delay >= deadline:
                    raise DatabaseUnavailable(self._redacted, reason) from exc
                logger.warning(
                    "database %s: attempt %d failed (%s), retrying in %.1f s",
                    self._redacted,
                    attempt,
                    reason,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_DELAY)
            else:
                if attempt > 1:
                    logger.info("database %s: connected after %d attempts", self._redacted, attempt)
                return

    async def _migrate(self, engine: AsyncEngine) -> None:
        try:
            scripts = await asyncio.to_thread(load_scripts)
            async with engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    await connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                    )
                before, after = await connection.run_sync(upgrade_to_head, scripts)
        except (SQLAlchemyError, CommandError, OSError) as exc:
            raise MigrationError(self._redacted, self._describe(exc)) from exc
        if before != after:
            logger.info(
                "database %s: schema migrated from %s to %s", self._redacted, before or "empty", after
            )

    @asynccontextmanager
    async def _transaction(self, *, lock: str | None = None) -> AsyncIterator[AsyncConnection]:
        """One transaction; with `lock`, transactions naming the same lock never interleave.

        For read-then-write transactions: `SELECT ... FOR UPDATE` locks no row that does not exist yet
        (and SQLite ignores it), so PostgreSQL takes a transaction-scoped advisory lock on the name and
        SQLite, whose transactions start deferred, takes its write lock up front.
        """
        if self._engine is None:
            raise RuntimeError("Database.start() must complete before the database is used")
        try:
            async with self._engine.begin() as connection:
                if lock is not None:
                    await _take_lock(connection, lock)
                yield connection
        except (SQLAlchemyError, OSError, sqlite3.Error, TypeError, OverflowError) as exc:
            raise self._storage_error(exc) from exc

    async def _run_transaction(
        self, work: Callable[[Connection | sqlite3.Connection], _T], *, locks: Sequence[str]
    ) -> _T:
        """`work` as one locked read-then-write transaction (see `_transaction`; PostgreSQL takes every lock,
        in the order given), run whole: on a SQLite file in one hand-off to its thread (`work` gets the
        stdlib driver's connection), else through the async connection (`work` gets its sync face)."""
        if self._engine is None:
            raise RuntimeError("Database.start() must complete before the database is used")
        if self._sqlite_thread is None:
            async with self._transaction(lock=locks[0]) as connection:
                if connection.dialect.name == "postgresql":
                    for name in locks[1:]:
                        await _take_lock(connection, name)
                return await connection.run_sync(work)
        try:
            return await self._sqlite_thread.run(work)
        except (SQLAlchemyError, OSError, sqlite3.Error, TypeError, OverflowError) as exc:
            raise self._storage_error(exc) from exc

    def _storage_error(self, exc: BaseException) -> StorageError:
        if isinstance(exc, TypeError | OverflowError):  # raised by a driver while binding a value
            return RejectedData(self._redacted, self._describe(exc))
        if isinstance(exc, OSError | OperationalError | InterfaceError | sqlite3.OperationalError) or (
            isinstance(exc, DBAPIError) and exc.connection_invalidated
        ):
            return DatabaseUnavailable(self._redacted, self._describe(exc))
        if _is_refused_data(exc) or isinstance(exc, sqlite3.IntegrityError | sqlite3.DataError):
            return RejectedData(self._redacted, self._describe(exc))
        return StorageError(self._redacted, self._describe(exc))

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, TimeoutError) and not str(exc):
            return f"no answer within {self._connect_timeout:g} s"
        cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        lines = str(cause).strip().splitlines()
        # SQLAlchemy's asyncpg adapter prefixes the wrapped class ("<class 'asyncpg...'>: ..."); drop it.
        first = re.sub(r"^<class '[\w.]+'>: ", "", lines[0]) if lines else ""
        message = f"{type(cause).__name__}: {first}" if first else type(cause).__name__
        return message.replace(self._password, "***") if self._password else message


async def _take_lock(connection: AsyncConnection, name: str) -> None:
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"), {"name": name}
        )
    else:
        await connection.exec_driver_sql("BEGIN IMMEDIATE")


def _owner_only(path: Path) -> None:
    try:
        path.chmod(0o600)
    except PermissionError:  # another user's file, shared on purpose: leave its mode to them
        logger.warning("database file %s belongs to another user: its mode is left as it is", path)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    _sqlite_pragmas(dbapi_connection)


def _sqlite_pragmas(dbapi_connection: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the dashboards read while the router writes; busy_timeout rides out short write locks.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _is_transient(exc: BaseException) -> bool:
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    if isinstance(cause, OSError):  # refused, unreachable, DNS, timed out
        return True
    if isinstance(cause, sqlite3.Error):
        return getattr(cause, "sqlite_errorname", "") in _TRANSIENT_SQLITE
    # asyncpg raises its own errors while connecting; they carry the server's SQLSTATE.
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return isinstance(sqlstate, str) and sqlstate.startswith(_TRANSIENT_SQLSTATES)


def _is_refused_data(exc: BaseException) -> bool:
    if isinstance(exc, DataError | IntegrityError):
        return True
    if isinstance(exc, DBAPIError):
        # The asyncpg adapter raises one generic class; the SQLSTATE says data exception or constraint.
        sqlstate = getattr(exc.orig, "sqlstate", None)
        return isinstance(sqlstate, str) and sqlstate.startswith(_REFUSED_SQLSTATES)
    # A value the driver could not even bind (a naive timestamp, an int past 64 bits, unserialisable JSON).
    return isinstance(exc, StatementError)


def _insert_for(connection: AsyncConnection, table: Table) -> postgresql.Insert | sqlite.Insert:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _record(kind: type[_R], row: Row[Any]) -> _R:
    # By field name, so columns a later migration adds are ignored until the record grows them.
    values = row._asdict()
    return kind(**{field.name: values[field.name] for field in dataclasses.fields(kind)})


def _span_columns() -> tuple[Any, ...]:
    c = _presence.c
    return (c.agent_id, c.state, c.reason, c.at, c.ended_at)


def _check_page(limit: int, offset: int) -> None:
    if limit < 0:
        raise ValueError(f"list_interactions: limit must be >= 0, got {limit}")
    if offset < 0:
        raise ValueError(f"list_interactions: offset must be >= 0, got {offset}")


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")
