"""Alembic wiring without an alembic.ini: the scripts ship inside the package and run on an open connection.

The tables are declared on more than one metadata (the gateway's own, the CRM's); the composition root
(`gateway.app.DATABASE_METADATA`) lists them all. To write a new migration against a scratch database
(from a shell, not the running gateway)::

    from alembic import command
    from gateway.app import DATABASE_METADATA
    from gateway.storage._migrations import alembic_config
    config = alembic_config("sqlite:///scratch.db", metadata=DATABASE_METADATA)
    command.revision(config, message="add recordings", autogenerate=True)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext, RevisionStep
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, DateTime, MetaData
from sqlalchemy.types import TypeDecorator

__all__ = ["alembic_config", "context_options", "load_scripts", "upgrade_to_head"]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(url: str | None = None, *, metadata: Sequence[MetaData] = ()) -> Config:
    """An Alembic config pointing at the packaged scripts, for `alembic.command` calls.

    `metadata` is every table the database should hold; autogenerate and `check` compare against it.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if metadata:
        config.attributes["target_metadata"] = list(metadata)
    return config


def load_scripts() -> ScriptDirectory:
    """Read the revision scripts from disk; blocking, so call it off the event loop."""
    scripts = ScriptDirectory.from_config(alembic_config())
    scripts.get_heads()  # forces every revision file to be read now rather than on the loop
    return scripts


def context_options(connection: Connection, metadata: Sequence[MetaData] | None = None) -> dict[str, Any]:
    """The `configure()` options shared by the gateway's runs and the alembic command's.

    Upgrading needs no `metadata`: only comparing the models with the database (autogenerate) does.
    """
    return {
        "connection": connection,
        "target_metadata": list(metadata) if metadata else None,
        "render_as_batch": True,  # SQLite cannot ALTER most things; batch mode copies the table instead
        "compare_type": True,
        "render_item": _render_item,
    }


def upgrade_to_head(connection: Connection, scripts: ScriptDirectory) -> tuple[str | None, str | None]:
    """Apply pending revisions on `connection` (sync: call via `run_sync`); return revisions before, after."""

    def steps(revision: Any, _context: MigrationContext) -> list[RevisionStep]:
        # What `alembic upgrade head` does, minus reading env.py from disk on the event loop.
        return scripts._upgrade_revs("head", revision)

    with EnvironmentContext(alembic_config(), scripts, fn=steps) as context:
        context.configure(**context_options(connection))
        migration = context.get_context()
        before = migration.get_current_revision()
        with context.begin_transaction():
            context.run_migrations()
        return before, migration.get_current_revision()


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Migrations spell the stored type, so they never import the application's type decorators
    # (the gateway's UtcDateTime, the CRM's own).
    if (
        type_ == "type"
        and isinstance(obj, TypeDecorator)
        and isinstance(obj.impl, DateTime)
        and obj.impl.timezone
    ):
        return "sa.DateTime(timezone=True)"
    return False
