"""The CTI adapter's database fixtures (SQLite, and PostgreSQL when configured), as in the unit tests."""

from __future__ import annotations

from tests.unit.cti_adapter.conftest import blockbuster, crm, database, database_url

__all__ = ["blockbuster", "crm", "database", "database_url"]
