"""Fixtures for the storage tests: every test runs on SQLite, and on PostgreSQL when one is configured.

Set HELPLINE_TEST_POSTGRES_URL to a server where the user may create databases, e.g.
postgresql+asyncpg://postgres@127.0.0.1:55432/postgres; each test gets a fresh database, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from blockbuster import BlockBuster, blockbuster_ctx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.storage import Database, normalize_url


@pytest.fixture(autouse=True)
def blockbuster() -> Iterator[BlockBuster]:
    """Fail any test that blocks the event loop."""
    with blockbuster_ctx() as bb:
        for function in bb.functions.values():
            # asyncpg looks for ~/.pgpass and client certificates on the loop while it connects.
            function.can_block_in("asyncpg/connect_utils.py", "_parse_connect_dsn_and_args")
        yield bb


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """Create a uniquely named database on the test server; yield its URL; drop it."""
    # Read late: tests/conftest.py sets it in pytest_configure, after this module may have been imported.
    admin_url_text = os.environ.get("HELPLINE_TEST_POSTGRES_URL")
    if not admin_url_text:
        if os.environ.get("HELPLINE_TEST_NO_POSTGRES"):
            # Only a developer's explicit opt-out (quick local runs) turns these off; `make test` never does.
            pytest.skip("PostgreSQL cases turned off by HELPLINE_TEST_NO_POSTGRES")
        pytest.fail("no PostgreSQL for the tests: tests/conftest.py starts one unless it is told otherwise")
    admin_url = make_url(normalize_url(admin_url_text))
    name = f"helpline_test_{uuid.uuid4().hex[:16]}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin_url.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.fixture(params=[pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A URL to an empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'data' / 'helpline.db'}"
    else:
        async with fresh_postgres_database() as url:
            yield url


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A URL to an empty PostgreSQL database, for behaviour only a server has."""
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A started database (migrated to head) on each backend."""
    db = Database(database_url, connect_timeout=5)
    await db.start()
    yield db
    await db.close()
