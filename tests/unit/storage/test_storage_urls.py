"""Database URLs are normalised to async drivers, and an unreachable database is reported without secrets."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.storage import Database, DatabaseUnavailable, default_url, normalize_url, redact_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:pw@db.example:5432/helpline", "postgresql+asyncpg://u:pw@db.example:5432/helpline"),
        ("postgres://u@db/helpline", "postgresql+asyncpg://u@db/helpline"),
        ("postgresql+asyncpg://u@db/helpline", "postgresql+asyncpg://u@db/helpline"),
        ("sqlite:///relative/helpline.db", "sqlite+aiosqlite:///relative/helpline.db"),
        ("sqlite:////var/lib/helpline/helpline.db", "sqlite+aiosqlite:////var/lib/helpline/helpline.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ],
)
def test_given_user_url_when_normalized_then_async_driver_is_used(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("mysql://u:pw@db/helpline", "unsupported backend 'mysql'"),
        ("postgresql+psycopg2://u:pw@db/helpline", "driver 'psycopg2' is not supported"),
        ("not a url", "expected sqlite:///"),
    ],
)
def test_given_unsupported_url_when_normalized_then_value_error_without_password(
    given: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        normalize_url(given)
    assert "pw" not in str(raised.value)


def test_given_url_with_secrets_when_redacted_then_password_and_secret_options_are_masked() -> None:
    redacted = redact_url("postgresql://helpline:s3cr3t@db/helpline?sslpassword=k3y&application_name=gw")

    assert "s3cr3t" not in redacted
    assert "k3y" not in redacted
    assert redacted.startswith("postgresql://helpline:***@db/helpline?")
    assert "application_name=gw" in redacted


def test_given_data_dir_then_default_url_is_a_sqlite_file_in_it(tmp_path: Path) -> None:
    assert default_url(tmp_path) == f"sqlite+aiosqlite:///{tmp_path}/helpline.db"


def test_given_non_positive_connect_timeout_then_value_error_names_it() -> None:
    with pytest.raises(ValueError, match="connect_timeout must be > 0"):
        Database("sqlite://", connect_timeout=0)


async def test_given_nothing_listens_when_started_then_retries_with_backoff_and_names_redacted_url(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # 2.5 s: room for the third delay (0.8 s after 0.6 s of delays) with up to 1.1 s of overhead on a loaded
    # machine, never for a fourth (1.6 s after 1.4 s)
    db = Database("postgresql://helpline:s3cr3t@127.0.0.1:1/helpline", connect_timeout=2.5)
    caplog.set_level(logging.WARNING, logger="helpline.storage")
    started = time.monotonic()

    with pytest.raises(DatabaseUnavailable) as raised:
        await db.start()

    elapsed = time.monotonic() - started
    assert "postgresql+asyncpg://helpline:***@127.0.0.1:1/helpline" in str(raised.value)
    assert "s3cr3t" not in str(raised.value)
    assert "s3cr3t" not in caplog.text
    retry_delays = [record.args[-1] for record in caplog.records if isinstance(record.args, tuple)]
    assert retry_delays == [0.2, 0.4, 0.8]
    assert "ConnectionRefusedError" in caplog.text
    assert elapsed < 4.5


@pytest.fixture
def path_under_a_file(tmp_path: Path) -> Path:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    return blocker / "helpline.db"


async def test_given_sqlite_path_under_a_file_when_started_then_unavailable_at_once(
    path_under_a_file: Path,
) -> None:
    db = Database(f"sqlite:///{path_under_a_file}", connect_timeout=30)
    started = time.monotonic()

    with pytest.raises(DatabaseUnavailable, match="cannot create"):
        await db.start()

    assert time.monotonic() - started < 5


@pytest.mark.postgres
async def test_given_missing_postgres_database_when_started_then_unavailable_without_waiting(
    postgres_url: str,
) -> None:
    url = make_url(postgres_url).set(database="helpline_does_not_exist").render_as_string(hide_password=False)
    started = time.monotonic()

    with pytest.raises(DatabaseUnavailable, match='database "helpline_does_not_exist" does not exist'):
        await Database(url, connect_timeout=30).start()

    assert time.monotonic() - started < 5


@pytest.mark.postgres
async def test_given_server_closed_the_connections_when_used_again_then_it_reconnects(
    postgres_url: str,
) -> None:
    db = Database(postgres_url)
    await db.start()
    await db.last_event_seq()  # leaves a pooled connection behind
    admin = create_async_engine(postgres_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        killed = await connection.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    await admin.dispose()

    try:
        assert killed >= 1
        assert await db.last_event_seq() == 0
    finally:
        await db.close()


async def test_given_database_not_started_when_used_then_runtime_error() -> None:
    with pytest.raises(RuntimeError, match="start"):
        await Database("sqlite://").last_event_seq()
