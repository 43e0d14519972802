"""Web chat records: conversations and their messages, each message sequenced and stored before any ack.

A message's `seq` is the next one of its conversation, taken under the conversation's lock; the same
sender's `client_id` given twice returns the stored message instead of a second one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select, update

from ._database import Database
from ._tables import ChatConversation, ChatMessage

__all__ = ["ChatRecords", "ConversationRecord", "MessageRecord"]

_conversations: Table = ChatConversation.__table__  # type: ignore[assignment]
_messages: Table = ChatMessage.__table__  # type: ignore[assignment]


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


@dataclass(frozen=True, slots=True)
class MessageRecord:
    conversation_id: str
    seq: int
    sender: str  # customer | agent | system
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
    names = [f.name for f in dataclasses.fields(MessageRecord) if f.name != "extra"]
    return MessageRecord(**{name: values[name] for name in names})


class ChatRecords:
    """Conversations and messages in the gateway's database (SQLite or PostgreSQL)."""

    def __init__(self, database: Database) -> None:
        self._db = database

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

    async def append(self, message: MessageRecord) -> tuple[MessageRecord, bool]:
        """Store `message` with the conversation's next seq (its own is ignored). Returns the stored message
        and True, or the one stored earlier under the same sender and client id and False."""
        c = _messages.c
        async with self._db._transaction(lock=f"chat:{message.conversation_id}") as connection:
            if message.client_id is not None:
                result = await connection.execute(
                    select(_messages).where(
                        (c.conversation_id == message.conversation_id)
                        & (c.sender == message.sender)
                        & (c.client_id == message.client_id)
                    )
                )
                earlier = result.one_or_none()
                if earlier is not None:
                    return _message(earlier), False
            last = await connection.scalar(
                select(func.max(c.seq)).where(c.conversation_id == message.conversation_id)
            )
            stored = dataclasses.replace(message, seq=int(last or 0) + 1)
            row = {k: v for k, v in dataclasses.asdict(stored).items() if k != "extra"}
            await connection.execute(_messages.insert().values(**row))
            return stored, True

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
