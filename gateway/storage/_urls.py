"""Database URLs: take what users write (`postgresql://`, `sqlite:///`), use async drivers, hide passwords."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["default_url", "normalize_url", "redact_url", "sqlite_path"]

_ASYNC_DRIVERS = {"postgresql": "asyncpg", "sqlite": "aiosqlite"}
_BACKEND_ALIASES = {"postgres": "postgresql"}
_SECRET_QUERY_KEYS = frozenset({"password", "passfile", "sslpassword"})


def default_url(data_dir: Path) -> str:
    """The embedded default: a SQLite file in the data directory."""
    return f"sqlite+aiosqlite:///{data_dir / 'helpline.db'}"


def normalize_url(url: str) -> str:
    """Return `url` with the async driver for its backend; ValueError for anything else."""
    parsed = _parse(url)
    backend, _, given_driver = parsed.drivername.partition("+")
    backend = _BACKEND_ALIASES.get(backend, backend)
    driver = _ASYNC_DRIVERS.get(backend)
    if driver is None:
        raise ValueError(
            f"database url {redact_url(url)}: unsupported backend {backend!r}, use sqlite or postgresql"
        )
    if given_driver not in ("", driver):
        raise ValueError(
            f"database url {redact_url(url)}: driver {given_driver!r} is not supported, "
            f"use {backend}+{driver}:// or {backend}://"
        )
    return parsed.set(drivername=f"{backend}+{driver}").render_as_string(hide_password=False)


def redact_url(url: str | URL) -> str:
    """`url` as it may appear in logs and errors: password and secret query options masked."""
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except ArgumentError:
        return "<unparseable database url>"
    secrets = {key: "***" for key in parsed.query if key.lower() in _SECRET_QUERY_KEYS}
    return parsed.update_query_dict(secrets).render_as_string(hide_password=True)


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL; None for other backends and in-memory databases."""
    parsed = _parse(url)
    database = parsed.database
    if not parsed.drivername.startswith("sqlite") or not database or database == ":memory:":
        return None
    return Path(database).expanduser()


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise ValueError(
            "database url: expected sqlite:///path/helpline.db or postgresql://user@host/db"
        ) from None
