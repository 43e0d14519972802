"""Fixtures for the CTI adapter tests: a migrated database on SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from blockbuster import BlockBuster, blockbuster_ctx
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_adapter.builtin import BuiltinCrm
from gateway.storage import Database
from tests.unit.storage.conftest import fresh_postgres_database


@pytest.fixture(autouse=True)
def blockbuster() -> Iterator[BlockBuster]:
    """Fail any test that blocks the event loop."""
    with blockbuster_ctx() as bb:
        for function in bb.functions.values():
            function.can_block_in("asyncpg/connect_utils.py", "_parse_connect_dsn_and_args")
        yield bb


@pytest.fixture(params=[pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'helpline.db'}"
    else:
        async with fresh_postgres_database() as url:
            yield url


def engine_of(database: Database) -> AsyncEngine:
    """The started database's engine: the one the gateway hands the built-in CRM."""
    engine = getattr(database, "engine", None) or database._engine
    assert isinstance(engine, AsyncEngine), "Database.start() has not completed"
    return engine


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url, connect_timeout=5)
    await db.start()
    yield db
    await db.close()


@pytest.fixture
async def crm(database: Database) -> BuiltinCrm:
    return BuiltinCrm(lambda: engine_of(database), default_region="GB")
