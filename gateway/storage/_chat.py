"""Web chat records: conversations and their messages, each message sequenced and stored before any ack.

A message's `seq` is the next one of its conversation, taken under the conversation's lock; the same
sender's `client_id` given twice returns the stored message instead of a second one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sqlite3
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from sqlalchemy import Connection, Table, bindparam, func, or_, select, update
from sqlalchemy.dialects import sqlite

from ._database import Database
from ._tables import ChatConversation, ChatMessage

__all__ = ["ChatRecords", "ConversationRecord", "MessageRecord"]

_conversations: Table = ChatConversation.__table__  # type: ignore[assignment]
_messages: Table = ChatMessage.__table__  # type: ignore[assignment]
_BATCH = 256  # messages per transaction at most


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    id: str
    entry: str
    interaction_id: str
    visitor_name: str
    form: dict[str, Any]
    state: str  # waiting | active | ended
    created_at: datetime
    agent_id: str | None = None
    agent_name: str | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None
    rating: int | None = None
    customer_id: str | None = None  # who the CRM said the customer is, when it knew them
    customer_email: str | None = None  # the form's e-mail, lower-cased
    customer_read_seq: int = 0  # the customer has read the conversation up to this seq
    agent_read_seq: int = 0  # the agent (whoever holds the chat) has read up to this seq
    help: bool = False  # the agent asked a supervisor for help


@dataclass(frozen=True, slots=True)
class MessageRecord:
    conversation_id: str
    seq: int
    sender: str  # customer | agent | supervisor (a whisper) | system
    author_name: str
    text: str
    at: datetime
    author_id: str | None = None
    client_id: str | None = None
    visibility: str = "all"  # all | agents (a supervisor's whisper)
    extra: dict[str, Any] = field(default_factory=dict)


def _conversation(row: Any) -> ConversationRecord:
    values = row._asdict()
    return ConversationRecord(**{f.name: values[f.name] for f in dataclasses.fields(ConversationRecord)})


def _message(row: Any) -> MessageRecord:
    values = row._asdict()
    return MessageRecord(**{name: values[name] for name in _STORED})


_STORED = tuple(f.name for f in dataclasses.fields(MessageRecord) if f.name != "extra")  # its columns too


class _Messages(Protocol):
    """The three statements a batch of messages needs, inside one transaction."""

    def resends(
        self, conversations: list[str], senders: list[str], client_ids: list[str]
    ) -> list[MessageRecord]:
        """The stored messages of these conversations, senders and client ids (each an IN list: the unique
        index on the three finds them without reading the conversation's other messages)."""
        ...

    def last_seqs(self, conversations: list[str]) -> dict[str, int]:
        """Each conversation's highest seq."""
        ...

    def insert(self, rows: list[tuple[Any, ...]]) -> None: ...


class _CoreMessages:
    """Through SQLAlchemy Core (PostgreSQL, and SQLite through aiosqlite)."""

    # built once: a statement object keeps its cache key, so each batch only binds its values
    _resends = select(_messages).where(
        _messages.c.conversation_id.in_(bindparam("conversations", expanding=True))
        & _messages.c.sender.in_(bindparam("senders", expanding=True))
        & _messages.c.client_id.in_(bindparam("client_ids", expanding=True))
    )
    _last_seqs = (
        select(_messages.c.conversation_id, func.max(_messages.c.seq))
        .where(_messages.c.conversation_id.in_(bindparam("conversations", expanding=True)))
        .group_by(_messages.c.conversation_id)
    )

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def resends(
        self, conversations: list[str], senders: list[str], client_ids: list[str]
    ) -> list[MessageRecord]:
        found = self._connection.execute(
            self._resends, {"conversations": conversations, "senders": senders, "client_ids": client_ids}
        )
        return [_message(row) for row in found]

    def last_seqs(self, conversations: list[str]) -> dict[str, int]:
        found = self._connection.execute(self._last_seqs, {"conversations": conversations})
        return {conversation: int(seq or 0) for conversation, seq in found}

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        self._connection.execute(_messages.insert(), [dict(zip(_STORED, row, strict=True)) for row in rows])


class _SqliteMessages:
    """The same statements straight through the stdlib driver, each answering in one row at most: the
    driver lets go of the GIL around every step of a statement and its thread must then wait for the busy
    event loop's to hand it back, so a batch's transaction makes a handful of calls, not one per row.
    Timestamps go through the column type's own processors, so what is stored is what SQLAlchemy stores."""

    _dialect = sqlite.dialect()
    _columns = ", ".join(_STORED)
    _row = f"({', '.join('?' * len(_STORED))})"
    _at = _STORED.index("at")

    def __init__(self, driver: sqlite3.Connection) -> None:
        self._driver = driver
        at = _messages.c.at.type.dialect_impl(self._dialect)
        self._at_in = at.bind_processor(self._dialect)
        self._at_out = at.result_processor(self._dialect, None)

    def resends(
        self, conversations: list[str], senders: list[str], client_ids: list[str]
    ) -> list[MessageRecord]:
        # usually none: one step
        found = self._driver.execute(
            f"SELECT {self._columns} FROM {_messages.name} WHERE conversation_id IN ({_marks(conversations)})"
            f" AND sender IN ({_marks(senders)}) AND client_id IN ({_marks(client_ids)})",
            [*conversations, *senders, *client_ids],
        )
        return [MessageRecord(*self._read(row)) for row in found]

    def last_seqs(self, conversations: list[str]) -> dict[str, int]:
        # one index lookup per conversation (SQLite's `max(seq) ... GROUP BY` reads every message of each:
        # 3 ms for a conversation of 5,000), all of them in one row
        wanted = ", ".join(["(?)"] * len(conversations))
        (found,) = self._driver.execute(
            f"SELECT json_group_object(wanted.column1, (SELECT max(seq) FROM {_messages.name}"
            f" WHERE conversation_id = wanted.column1)) FROM (VALUES {wanted}) AS wanted",
            conversations,
        ).fetchone()
        return {conversation: int(seq or 0) for conversation, seq in json.loads(found).items()}

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        values = [value for row in rows for value in self._write(row)]
        self._driver.execute(
            f"INSERT INTO {_messages.name} ({self._columns}) VALUES {', '.join([self._row] * len(rows))}",
            values,
        )

    def _read(self, row: tuple[Any, ...]) -> list[Any]:
        values = list(row)
        if self._at_out is not None:
            values[self._at] = self._at_out(values[self._at])
        return values

    def _write(self, row: tuple[Any, ...]) -> list[Any]:
        values = list(row)
        if self._at_in is not None:
            values[self._at] = self._at_in(values[self._at])
        return values


def _marks(values: list[str]) -> str:
    return ", ".join("?" * len(values))


def _statements(connection: Connection | sqlite3.Connection) -> _Messages:
    if isinstance(connection, sqlite3.Connection):  # the SQLite thread's
        return _SqliteMessages(connection)
    return _CoreMessages(connection)


def _append_batch(
    connection: Connection | sqlite3.Connection, batch: list[MessageRecord]
) -> list[tuple[MessageRecord, bool]]:
    """Three statements for the whole batch: the resends already stored, each conversation's last seq,
    one insert of the new messages."""
    statements = _statements(connection)
    conversations = list({m.conversation_id for m in batch})
    resent = [m for m in batch if m.client_id is not None]
    senders = list({m.sender for m in resent})
    client_ids = list({str(m.client_id) for m in resent})
    earlier: dict[tuple[str, str, str], MessageRecord] = {}
    for found in statements.resends(conversations, senders, client_ids) if resent else []:
        earlier[(found.conversation_id, found.sender, str(found.client_id))] = found
    last = statements.last_seqs(conversations)
    out: list[tuple[MessageRecord, bool]] = []
    rows = []
    for message in batch:
        key = (message.conversation_id, message.sender, str(message.client_id))
        if message.client_id is not None and key in earlier:
            out.append((earlier[key], False))
            continue
        last[message.conversation_id] = last.get(message.conversation_id, 0) + 1
        stored = dataclasses.replace(message, seq=last[message.conversation_id])
        if message.client_id is not None:
            earlier[key] = stored  # the same resend twice in one batch
        rows.append(tuple(getattr(stored, name) for name in _STORED))
        out.append((stored, True))
    if rows:
        statements.insert(rows)
    return out


class ChatRecords:
    """Conversations and messages in the gateway's database (SQLite or PostgreSQL)."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._pending: asyncio.Queue[tuple[MessageRecord, asyncio.Future[tuple[MessageRecord, bool]]]] = (
            asyncio.Queue()
        )
        self._writer: asyncio.Task[None] | None = None

    async def create(self, record: ConversationRecord) -> None:
        async with self._db._transaction() as connection:
            await connection.execute(_conversations.insert().values(**dataclasses.asdict(record)))

    async def update(self, conversation_id: str, **changes: Any) -> None:
        unknown = set(changes) - {f.name for f in dataclasses.fields(ConversationRecord)}
        if unknown or "id" in changes:
            raise ValueError(f"conversation {conversation_id!r}: cannot change {sorted(unknown or {'id'})}")
        async with self._db._transaction() as connection:
            await connection.execute(
                update(_conversations).where(_conversations.c.id == conversation_id).values(**changes)
            )

    async def get(self, conversation_id: str) -> ConversationRecord | None:
        async with self._db._transaction() as connection:
            result = await connection.execute(
                select(_conversations).where(_conversations.c.id == conversation_id)
            )
            row = result.one_or_none()
            return None if row is None else _conversation(row)

    async def open_conversations(self) -> list[ConversationRecord]:
        """Every conversation not ended, oldest first (what a restarted gateway carries on with)."""
        query = select(_conversations).where(_conversations.c.state != "ended")
        async with self._db._transaction() as connection:
            result = await connection.execute(query.order_by(_conversations.c.created_at))
            return [_conversation(row) for row in result]

    async def last_agents(
        self, *, customer_id: str | None, email: str | None, since: datetime, limit: int = 5
    ) -> list[str]:
        """Who was on the customer's most recent answered conversations since `since` (matched by CRM
        customer id or by e-mail, any case), latest first: at most `limit`."""
        c = _conversations.c
        match = [c.customer_id == customer_id] if customer_id else []
        match += [c.customer_email == email.lower()] if email else []
        if not match:
            return []
        query = (
            select(c.agent_id)
            .where(c.agent_id.is_not(None) & (c.created_at >= since) & or_(*match))
            .order_by(c.answered_at.desc())
            .limit(limit)
        )
        async with self._db._transaction() as connection:
            return [str(agent) for agent in (await connection.execute(query)).scalars()]

    async def append(self, message: MessageRecord) -> tuple[MessageRecord, bool]:
        """Store `message` with the conversation's next seq (its own is ignored). Returns the stored message
        and True, or the one stored earlier under the same sender and client id and False.

        Messages waiting at the same time are written in one transaction (one commit, one fsync): under
        load a batch per round trip, not a transaction per message."""
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches(), name="chat-messages-writer")
        done: asyncio.Future[tuple[MessageRecord, bool]] = asyncio.get_running_loop().create_future()
        self._pending.put_nowait((message, done))
        return await done

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None

    async def _write_batches(self) -> None:
        while True:
            batch = [await self._pending.get()]
            while not self._pending.empty() and len(batch) < _BATCH:
                batch.append(self._pending.get_nowait())
            try:
                stored = await self._write(m for m, _ in batch)
            except Exception as exc:  # each sender gets the error and may resend (idempotent)
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for (_, done), result in zip(batch, stored, strict=True):
                if not done.done():
                    done.set_result(result)

    async def _write(self, messages: Iterable[MessageRecord]) -> list[tuple[MessageRecord, bool]]:
        batch = list(messages)
        # sorted: two writers never wait on each other's conversations in a circle
        locks = [f"chat:{name}" for name in sorted({m.conversation_id for m in batch})]
        return await self._db._run_transaction(partial(_append_batch, batch=batch), locks=locks)

    async def messages(
        self, conversation_id: str, *, after: int = 0, include_agents_only: bool = False
    ) -> list[MessageRecord]:
        """The conversation's messages with a seq above `after`, in order; whispers only when asked."""
        c = _messages.c
        query = select(_messages).where((c.conversation_id == conversation_id) & (c.seq > after))
        if not include_agents_only:
            query = query.where(c.visibility == "all")
        async with self._db._transaction() as connection:
            result = await connection.execute(query.order_by(c.seq))
            return [_message(row) for row in result]
