"""Helpline's database layer: SQLAlchemy 2 (async) on SQLite or PostgreSQL, migrated by Alembic at start."""

from __future__ import annotations

from ._database import Database
from ._urls import default_url, normalize_url, redact_url
from .errors import DatabaseUnavailable, MigrationError, StorageError
from .records import EventRecord, InteractionRecord, PresenceSpan, RecordingRecord

__all__ = [
    "Database",
    "DatabaseUnavailable",
    "EventRecord",
    "InteractionRecord",
    "MigrationError",
    "PresenceSpan",
    "RecordingRecord",
    "StorageError",
    "default_url",
    "normalize_url",
    "redact_url",
]
