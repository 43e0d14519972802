"""The gateway's own tables on its declarative metadata, mirrored by the Alembic migrations.

The CRM declares its tables on its own metadata (`cti_adapter.metadata`); `gateway.app.DATABASE_METADATA`
lists both. New tables are added to their package's metadata and in a new file under
`migrations/versions/`; `tests/unit/storage` checks that the two agree on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "AgentPresence",
    "Base",
    "ChatConversation",
    "ChatMessage",
    "DeadLetterRow",
    "Interaction",
    "Recording",
    "RoutingEvent",
    "UtcDateTime",
    "column_length",
    "metadata",
]

# Explicit constraint names keep migrations portable (SQLite batch mode needs names to alter constraints).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL so later reports can index and query into payloads; plain JSON text elsewhere.
JsonDict = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp stored in UTC; SQLite, which keeps no offset, reads back as UTC too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: storage needs timezone-aware timestamps")
        # Normalising to UTC keeps SQLite's text timestamps ordered and comparable.
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime(), dict[str, Any]: JsonDict}


metadata = Base.metadata


class Interaction(Base):
    """A call or chat through routing, one row updated as it moves from queued to ended."""

    __tablename__ = "interactions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    queue_id: Mapped[str] = mapped_column(String(64), index=True)
    customer_ref: Mapped[str | None] = mapped_column(String(128))
    priority: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    attributes: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(index=True)
    queued_at: Mapped[datetime | None]
    offered_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))
    agent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    wait_seconds: Mapped[float | None] = mapped_column(Float)


class RoutingEvent(Base):
    """The routing core's event log; `seq` comes from the core, so the database never assigns it."""

    __tablename__ = "routing_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    interaction_id: Mapped[str | None] = mapped_column(String(64), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]]


class AgentPresence(Base):
    """One row per span an agent spent in a presence state; `ended_at` is NULL for the current one."""

    __tablename__ = "agent_presence"
    __table_args__ = (
        Index("ix_agent_presence_agent_id_at", "agent_id", "at"),
        # At most one open span per agent, whatever the writers do.
        Index(
            "uq_agent_presence_open_span",
            "agent_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(128))
    at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class Recording(Base):
    """A finished recording file (a call leg, the stereo mix, a voicemail) and its fingerprint."""

    __tablename__ = "recordings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    interaction_id: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(1024))
    started_at: Mapped[datetime]
    duration_seconds: Mapped[float] = mapped_column(Float)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    caller: Mapped[str | None] = mapped_column(String(128))
    purged_at: Mapped[datetime | None]  # the file was deleted after its queue's retention period


class DeadLetterRow(Base):
    """A write the database refused for its data: the routing event writer moves on and keeps it here."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of kind, ref, payload: kept once
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(128))
    payload: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(index=True)


def column_length(name: str) -> int:
    """How many characters the String column `table.column` holds; API schemas take `max_length` here."""
    table, _, column = name.partition(".")
    length = getattr(metadata.tables[table].c[column].type, "length", None)
    if not isinstance(length, int):
        raise TypeError(f"{name}: not a String column with a length")
    return length


class ChatConversation(Base):
    """A web chat: the customer's form and who is on it; its interaction changes with each transfer."""

    __tablename__ = "chat_conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    entry: Mapped[str] = mapped_column(String(64))
    interaction_id: Mapped[str] = mapped_column(String(64), index=True)
    visitor_name: Mapped[str] = mapped_column(String(200))
    form: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(64))
    agent_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(16))
    rating: Mapped[int | None] = mapped_column(Integer)
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    customer_email: Mapped[str | None] = mapped_column(String(200), index=True)
    # read receipts: the last seq the customer has read (of the agent's messages), the agent likewise
    customer_read_seq: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    agent_read_seq: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    help: Mapped[bool] = mapped_column(Boolean, server_default=false())  # the agent asked for a supervisor


class ChatMessage(Base):
    """One message of a conversation; `seq` orders them and a sender's `client_id` makes a resend a no-op."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        Index("uq_chat_messages_conversation_id_seq", "conversation_id", "seq", unique=True),
        Index("uq_chat_messages_client", "conversation_id", "sender", "client_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(16))  # customer | agent | system
    author_id: Mapped[str | None] = mapped_column(String(64))
    author_name: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(16), server_default="all")  # all | agents
    at: Mapped[datetime]
