"""Alembic environment for the `alembic` command line; the gateway itself migrates through `_migrations`.

Runs against the connection handed over in `config.attributes["connection"]` when there is one, otherwise
opens the async engine named by the `sqlalchemy.url` option. Autogenerate and `check` compare against
`config.attributes["target_metadata"]`, which `alembic_config(url, metadata=...)` sets.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from gateway.storage._migrations import context_options
from gateway.storage._urls import normalize_url

__all__: list[str] = []


def _run(connection: Connection) -> None:
    context.configure(**context_options(connection, context.config.attributes.get("target_metadata")))
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(engine: AsyncEngine) -> None:
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.config.get_main_option("sqlalchemy.url") or ""
    context.get_head_revisions()  # reads the revision files now, before the event loop runs
    asyncio.run(_run_online(create_async_engine(normalize_url(url))))
