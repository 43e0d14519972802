"""Accounts, contacts and entitlements in the built-in CRM: the SQL behind customer lookups and edits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from cti_adapter._contract import Customer, CustomerMatch, Entitlement, Lookup, LookupKind
from cti_adapter._phone import normalize_phone
from cti_adapter.builtin._db import (
    accounts,
    contacts,
    customer_columns,
    customer_of,
    entitlement_of,
    entitlements,
    new_id,
)
from cti_adapter.builtin._values import CustomerChanges, CustomerQuery, NewCustomer, NewEntitlement
from cti_adapter.errors import CustomerNotFound, DuplicateCustomer

__all__ = [
    "account_entitlements",
    "add_entitlement",
    "find",
    "get",
    "insert",
    "normalized_email",
    "search",
    "set_fields",
]


def _customers() -> Select[Any]:
    return select(*customer_columns()).join(accounts, accounts.c.id == contacts.c.account_id)


def _lookup_condition(by: Lookup) -> ColumnElement[bool]:
    if by.kind is LookupKind.PHONE:
        return contacts.c.phone_e164 == by.value
    if by.kind is LookupKind.EMAIL:
        return contacts.c.email == by.value
    return accounts.c.number == by.value


async def find(connection: AsyncConnection, by: Lookup) -> CustomerMatch | None:
    query = _customers().where(_lookup_condition(by)).order_by(contacts.c.updated_at.desc(), contacts.c.id)
    rows = (await connection.execute(query.limit(50))).all()
    if not rows:
        return None
    return CustomerMatch(customer_of(rows[0]), by.kind, others=len(rows) - 1)


async def get(connection: AsyncConnection, customer_id: str) -> Customer:
    row = (await connection.execute(_customers().where(contacts.c.id == customer_id))).one_or_none()
    if row is None:
        raise CustomerNotFound(customer_id)
    return customer_of(row)


async def search(connection: AsyncConnection, query: CustomerQuery, region: str) -> list[Customer]:
    sql = _customers()
    if query.phone is not None:
        sql = sql.where(contacts.c.phone_e164 == normalize_phone(query.phone, region))
    if query.email is not None:
        sql = sql.where(contacts.c.email == normalized_email(query.email))
    if query.account_number is not None:
        sql = sql.where(accounts.c.number == query.account_number.strip())
    if query.text:
        needle = query.text.strip().lower()
        sql = sql.where(
            func.lower(contacts.c.name).contains(needle, autoescape=True)
            | func.lower(accounts.c.name).contains(needle, autoescape=True)
            | contacts.c.email.contains(needle, autoescape=True)
        )
    sql = sql.order_by(contacts.c.name, contacts.c.id).limit(query.limit).offset(query.offset)
    return [customer_of(row) for row in await connection.execute(sql)]


async def insert(connection: AsyncConnection, new: NewCustomer, region: str, now: datetime) -> Customer:
    """Add the contact (and its account unless the account number exists); refuse a known phone or e-mail."""
    phone = normalize_phone(new.phone, region) if new.phone else None
    email = normalized_email(new.email) if new.email else None
    await _refuse_duplicates(connection, phone, email, exclude=None)
    account_id = await _account_for(connection, new, now)
    contact_id = new_id()
    await connection.execute(
        contacts.insert().values(
            id=contact_id,
            account_id=account_id,
            name=new.name.strip(),
            phone_e164=phone,
            email=email,
            created_at=now,
            updated_at=now,
        )
    )
    for entitlement in new.entitlements:
        await add_entitlement(connection, account_id, entitlement)
    return await get(connection, contact_id)


async def set_fields(
    connection: AsyncConnection, customer_id: str, changes: CustomerChanges, region: str, now: datetime
) -> Customer:
    current = await get(connection, customer_id)
    values: dict[str, Any] = {"updated_at": now}
    if changes.name is not None:
        values["name"] = changes.name.strip()
    if changes.phone is not None:
        values["phone_e164"] = normalize_phone(changes.phone, region)
    if changes.email is not None:
        values["email"] = normalized_email(changes.email)
    await _refuse_duplicates(connection, values.get("phone_e164"), values.get("email"), exclude=customer_id)
    await connection.execute(update(contacts).where(contacts.c.id == customer_id).values(**values))
    if changes.company is not None:
        await connection.execute(
            update(accounts)
            .where(accounts.c.id == current.account_id)
            .values(name=changes.company.strip(), updated_at=now)
        )
    return await get(connection, customer_id)


async def add_entitlement(connection: AsyncConnection, account_id: str, new: NewEntitlement) -> Entitlement:
    entitlement = Entitlement(
        id=new_id(),
        account_id=account_id,
        level=new.level.strip().lower(),
        starts=new.starts,
        ends=new.ends,
        products=tuple(p.strip() for p in new.products if p.strip()),
    )
    await connection.execute(
        entitlements.insert().values(
            id=entitlement.id,
            account_id=account_id,
            level=entitlement.level,
            products=list(entitlement.products),
            starts=entitlement.starts,
            ends=entitlement.ends,
        )
    )
    return entitlement


async def account_entitlements(connection: AsyncConnection, account_id: str) -> Sequence[Entitlement]:
    query = (
        select(entitlements).where(entitlements.c.account_id == account_id).order_by(entitlements.c.starts)
    )
    return [entitlement_of(row) for row in await connection.execute(query)]


def normalized_email(address: str) -> str:
    return Lookup.by_email(address).value


async def _account_for(connection: AsyncConnection, new: NewCustomer, now: datetime) -> str:
    number = new.account_number.strip() if new.account_number else None
    if number:
        found = await connection.scalar(select(accounts.c.id).where(accounts.c.number == number))
        if found is not None:
            return str(found)
    account_id = new_id()
    name = (new.company or "").strip() or new.name.strip()
    await connection.execute(
        accounts.insert().values(
            id=account_id,
            number=number or None,
            name=name,
            created_at=now,
            updated_at=now,
        )
    )
    return account_id


async def _refuse_duplicates(
    connection: AsyncConnection, phone: str | None, email: str | None, *, exclude: str | None
) -> None:
    for field, column, value in (("phone", contacts.c.phone_e164, phone), ("email", contacts.c.email, email)):
        if value is None:
            continue
        query = select(contacts.c.id).where(column == value)
        if exclude is not None:
            query = query.where(contacts.c.id != exclude)
        if await connection.scalar(query.limit(1)) is not None:
            raise DuplicateCustomer(field, value)
