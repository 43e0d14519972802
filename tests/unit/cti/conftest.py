"""Fixtures for the CTI bridge tests: the CTI adapter's own (a migrated database and a built-in CRM on it)."""

from __future__ import annotations

from tests.unit.cti_adapter.conftest import blockbuster, crm, database, database_url

__all__ = ["blockbuster", "crm", "database", "database_url"]
