"""Shared plumbing for the built-in CRM: the engine source, transactions, rows to values."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Table
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cti_adapter._contract import Case, CaseStatus, Customer, Entitlement
from cti_adapter._tables import CrmAccount, CrmActivity, CrmCase, CrmContact, CrmEntitlement, CrmOutbox
from cti_adapter.errors import CrmUnavailable

__all__ = [
    "Clock",
    "EngineSource",
    "accounts",
    "activities",
    "case_of",
    "cases",
    "contacts",
    "customer_columns",
    "customer_of",
    "engine_of",
    "entitlement_of",
    "entitlements",
    "new_id",
    "outbox",
    "transaction",
    "utc_now",
]

# The gateway's Database creates its engine in start(); a callable lets the CRM be built before that.
EngineSource = AsyncEngine | Callable[[], AsyncEngine]
Clock = Callable[[], datetime]

accounts: Table = CrmAccount.__table__  # type: ignore[assignment]
contacts: Table = CrmContact.__table__  # type: ignore[assignment]
entitlements: Table = CrmEntitlement.__table__  # type: ignore[assignment]
cases: Table = CrmCase.__table__  # type: ignore[assignment]
activities: Table = CrmActivity.__table__  # type: ignore[assignment]
outbox: Table = CrmOutbox.__table__  # type: ignore[assignment]


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


def engine_of(source: EngineSource) -> AsyncEngine:
    return source if isinstance(source, AsyncEngine) else source()


@asynccontextmanager
async def transaction(source: EngineSource) -> AsyncIterator[AsyncConnection]:
    """One transaction; a database that cannot be reached surfaces as CrmUnavailable."""
    try:
        async with engine_of(source).begin() as connection:
            yield connection
    except (OperationalError, InterfaceError, OSError, sqlite3.OperationalError) as exc:
        raise CrmUnavailable(f"database: {type(exc).__name__}: {str(exc).splitlines()[0]}") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise CrmUnavailable(f"database connection lost: {exc.orig}") from exc
        raise


def customer_columns() -> tuple[Any, ...]:
    c, a = contacts.c, accounts.c
    return (c.id, c.name, c.account_id, a.number, a.name.label("company"), c.phone_e164, c.email)


def customer_of(row: Row[Any]) -> Customer:
    return Customer(
        id=row.id,
        name=row.name,
        account_id=row.account_id,
        account_number=row.number,
        company=row.company,
        phone=row.phone_e164,
        email=row.email,
    )


def entitlement_of(row: Row[Any]) -> Entitlement:
    return Entitlement(
        id=row.id,
        account_id=row.account_id,
        level=row.level,
        starts=row.starts,
        ends=row.ends,
        products=tuple(str(p) for p in row.products),
    )


def case_of(row: Row[Any]) -> Case:
    return Case(
        id=row.id,
        account_id=row.account_id,
        subject=row.subject,
        status=CaseStatus(row.status),
        priority=row.priority,
        created_at=row.created_at,
        updated_at=row.updated_at,
        contact_id=row.contact_id,
        interaction_ids=tuple(str(i) for i in row.interaction_ids),
        disposition=row.disposition,
        notes=row.notes,
    )
