"""Fixtures for the CTI adapter tests: the storage tests' migrated database on SQLite and on PostgreSQL,
and a built-in CRM on it."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_adapter.builtin import BuiltinCrm
from gateway.storage import Database
from tests.unit.storage.conftest import blockbuster, database, database_url

__all__ = ["blockbuster", "crm", "database", "database_url", "engine_of"]


def engine_of(database: Database) -> AsyncEngine:
    """The started database's engine: the one the gateway hands the built-in CRM."""
    engine = getattr(database, "engine", None) or database._engine
    assert isinstance(engine, AsyncEngine), "Database.start() has not completed"
    return engine


@pytest.fixture
async def crm(database: Database) -> BuiltinCrm:
    return BuiltinCrm(lambda: engine_of(database), default_region="GB")
