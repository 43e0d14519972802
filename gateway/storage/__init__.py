"""Helpline's database layer: SQLAlchemy 2 (async) on SQLite or PostgreSQL, migrated by Alembic at start.

`metadata` holds the gateway's own tables; other packages bring theirs (the CRM's), and the composition
root (`gateway.app.DATABASE_METADATA`) lists them all for the migrations to be compared against.
"""

from __future__ import annotations

from ._chat import ChatRecords, ConversationRecord, MessageRecord
from ._database import Database
from ._tables import column_length, metadata
from ._urls import default_url, normalize_url, redact_url
from .errors import DatabaseUnavailable, MigrationError, RejectedData, StorageError
from .records import DeadLetter, EventRecord, InteractionRecord, PresenceSpan, RecordingRecord

__all__ = [
    "ChatRecords",
    "ConversationRecord",
    "Database",
    "DatabaseUnavailable",
    "DeadLetter",
    "EventRecord",
    "InteractionRecord",
    "MessageRecord",
    "MigrationError",
    "PresenceSpan",
    "RecordingRecord",
    "RejectedData",
    "StorageError",
    "column_length",
    "default_url",
    "metadata",
    "normalize_url",
    "redact_url",
]
