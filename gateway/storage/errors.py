"""Exceptions raised by `gateway.storage`.

    StorageError                 base: a database operation failed (url, reason)
     ├── DatabaseUnavailable     the database cannot be reached or opened, at start after retries or later on
     ├── RejectedData            the database refused the values themselves (too long, out of range, a
     │                           constraint, not encodable): retrying the same write fails the same way
     └── MigrationError          the schema could not be brought to the head revision at start

Every message names the database by its redacted URL: a password never appears in an error or a log line.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["DatabaseUnavailable", "MigrationError", "RejectedData", "StorageError"]


class StorageError(Exception):
    """A database operation failed; `url` is the redacted database URL, `reason` what went wrong."""

    _summary: ClassVar[str] = "operation failed"

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"database {url}: {self._summary}: {reason}")
        self.url = url
        self.reason = reason


class DatabaseUnavailable(StorageError):
    """The database could not be reached or opened."""

    _summary = "unavailable"


class RejectedData(StorageError):
    """The database refused the values of a write; the same write would be refused again."""

    _summary = "data refused"


class MigrationError(StorageError):
    """Bringing the schema to the head revision failed; the transaction was rolled back."""

    _summary = "migration failed"
