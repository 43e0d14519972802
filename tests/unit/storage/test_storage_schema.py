"""Migrations run at start, are idempotent, and describe exactly the tables the models declare."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.app import DATABASE_METADATA
from gateway.storage import Database, MigrationError, normalize_url
from gateway.storage._migrations import alembic_config

T = TypeVar("T")
EXPECTED_TABLES = {
    "alembic_version",
    "interactions",
    "routing_events",
    "agent_presence",
    "chat_conversations",
    "chat_messages",
    "crm_accounts",
    "crm_contacts",
    "crm_entitlements",
    "crm_cases",
    "crm_case_activities",
    "crm_outbox",
    "recordings",
    "revoked_tokens",
    "dead_letters",
}
NINE_AM = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


async def _on_connection(url: str, fn: Callable[[Connection], T]) -> T:
    # SQLAlchemy resolves a SQLite file path on the disk: keep that off the loop, as the gateway does.
    engine = await asyncio.to_thread(create_async_engine, normalize_url(url))
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(fn)
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _revision(connection: Connection) -> str | None:
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


def _schema_diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, list(DATABASE_METADATA)))


async def _started(url: str) -> None:
    db = Database(url, connect_timeout=5)
    await db.start()
    await db.close()


async def test_given_empty_database_when_started_then_tables_exist_at_head_revision(
    database_url: str,
) -> None:
    await _started(database_url)

    assert await _on_connection(database_url, _tables) == EXPECTED_TABLES
    assert await _on_connection(database_url, _revision) == "0010"


async def test_given_migrated_database_when_started_again_then_data_and_revision_are_kept(
    database_url: str,
) -> None:
    first = Database(database_url)
    await first.start()
    await first.start()  # a second start on a running instance changes nothing
    await first.record_presence("alice", "available", None, NINE_AM)
    await first.close()

    second = Database(database_url)
    await second.start()
    history = await second.presence_history("alice")
    await second.close()

    assert [span.state for span in history] == ["available"]
    assert await _on_connection(database_url, _revision) == "0010"


async def test_given_migrated_database_then_models_and_migrations_agree(database_url: str) -> None:
    await _started(database_url)

    assert await _on_connection(database_url, _schema_diff) == []


async def test_given_database_from_a_newer_release_when_started_then_migration_error_names_revision(
    database_url: str,
) -> None:
    await _started(database_url)
    await _on_connection(
        database_url, lambda c: c.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    )

    with pytest.raises(MigrationError, match="9999") as raised:
        await _started(database_url)

    assert raised.value.url.startswith(database_url.split("://")[0])


async def test_given_sqlite_file_in_missing_directory_when_started_then_directory_is_created_and_wal_is_on(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'deep' / 'er' / 'helpline.db'}"

    await _started(url)

    assert await asyncio.to_thread((tmp_path / "deep" / "er" / "helpline.db").is_file)
    mode = await _on_connection(url, lambda c: c.execute(text("PRAGMA journal_mode")).scalar_one())
    assert mode == "wal"


async def test_given_in_memory_sqlite_when_started_then_the_schema_is_usable() -> None:
    db = Database("sqlite://")
    await db.start()
    try:
        assert await db.last_event_seq() == 0
    finally:
        await db.close()


def test_given_the_alembic_command_when_upgrading_to_head_then_env_py_migrates_with_nothing_pending(
    tmp_path: Path,
) -> None:
    config = alembic_config(f"sqlite:///{tmp_path / 'helpline.db'}", metadata=DATABASE_METADATA)

    command.upgrade(config, "head")

    command.check(config)  # raises when the models hold changes no migration makes


@pytest.mark.postgres
async def test_given_two_gateways_starting_together_on_postgres_then_both_start_and_schema_is_migrated_once(
    postgres_url: str,
) -> None:
    first, second = Database(postgres_url), Database(postgres_url)

    await asyncio.gather(first.start(), second.start())
    await first.close()
    await second.close()

    assert await _on_connection(postgres_url, _revision) == "0010"
    assert await _on_connection(postgres_url, _schema_diff) == []
