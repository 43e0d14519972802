"""Cases and their activities in the built-in CRM: open, attach, log, update, search."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from cti_adapter._contract import Activity, Case, CaseAttachment, CaseStatus, Customer, NewCase, subject_key
from cti_adapter.builtin._db import accounts, activities, case_of, cases, new_id
from cti_adapter.builtin._values import CaseQuery
from cti_adapter.errors import CaseNotFound

__all__ = [
    "activities_of",
    "append_activity",
    "attach",
    "change",
    "get",
    "insert",
    "lock",
    "lock_account",
    "search",
    "unclosed",
]


def _unclosed(account_id: str) -> Select[Any]:
    return select(cases).where(cases.c.account_id == account_id, cases.c.status != CaseStatus.CLOSED.value)


async def unclosed(connection: AsyncConnection, account_id: str) -> list[Case]:
    query = _unclosed(account_id).order_by(cases.c.updated_at.desc(), cases.c.id)
    return [case_of(row) for row in await connection.execute(query)]


async def get(connection: AsyncConnection, case_id: str) -> Case:
    row = (await connection.execute(select(cases).where(cases.c.id == case_id))).one_or_none()
    if row is None:
        raise CaseNotFound(case_id)
    return case_of(row)


async def lock(connection: AsyncConnection, case_id: str, now: datetime) -> Case:
    """Take the case for this transaction, then read it.

    Writing first is the lock: PostgreSQL locks the row, and SQLite (whose driver opens a transaction only
    at the first write) takes its write lock, so a read-modify-write cannot lose a concurrent update.
    """
    touched = await connection.execute(update(cases).where(cases.c.id == case_id).values(updated_at=now))
    if touched.rowcount == 0:
        raise CaseNotFound(case_id)
    return await get(connection, case_id)


async def lock_account(connection: AsyncConnection, account_id: str) -> None:
    """Serialise case changes of one account (see `lock`): attaches on one subject then see each other."""
    await connection.execute(
        update(accounts).where(accounts.c.id == account_id).values(updated_at=accounts.c.updated_at)
    )


async def insert(connection: AsyncConnection, customer: Customer, new: NewCase, now: datetime) -> Case:
    case_id = new_id()
    await connection.execute(
        cases.insert().values(
            id=case_id,
            account_id=customer.account_id,
            contact_id=customer.id,
            subject=new.subject.strip(),
            subject_key=subject_key(new.subject),
            status=CaseStatus.OPEN.value,
            priority=new.priority,
            interaction_ids=[new.interaction_id] if new.interaction_id else [],
            disposition=None,
            notes=None,
            created_at=now,
            updated_at=now,
        )
    )
    return await get(connection, case_id)


async def attach(
    connection: AsyncConnection, customer: Customer, new: NewCase, now: datetime
) -> CaseAttachment:
    """Join the account's unclosed case on this subject, or open one.

    Two attaches racing for the same subject: the loser's insert breaks the partial unique index and
    raises IntegrityError; the caller retries in a new transaction and then finds the winner's case.
    """
    await lock_account(connection, customer.account_id)
    query = _unclosed(customer.account_id).where(cases.c.subject_key == subject_key(new.subject))
    row = (await connection.execute(query)).one_or_none()
    if row is None:
        return CaseAttachment(await insert(connection, customer, new, now), attached=False)
    existing = case_of(row)
    await _add_interaction(connection, existing, new.interaction_id, now, priority=new.priority)
    return CaseAttachment(await get(connection, existing.id), attached=True)


async def append_activity(
    connection: AsyncConnection, case_id: str, activity: Activity, now: datetime
) -> None:
    case = await lock(connection, case_id, now)
    await connection.execute(
        activities.insert().values(
            case_id=case_id,
            interaction_id=activity.interaction_id,
            channel=activity.channel,
            started_at=activity.started_at,
            wait_seconds=activity.wait_seconds,
            talk_seconds=activity.talk_seconds,
            hold_seconds=activity.hold_seconds,
            wrap_up_seconds=activity.wrap_up_seconds,
            queue=activity.queue,
            agent_id=activity.agent_id,
            disposition=activity.disposition,
            notes=activity.notes,
            recording_url=activity.recording_url,
            transcript_url=activity.transcript_url,
            transcript=activity.transcript,
            created_at=now,
        )
    )
    await _add_interaction(connection, case, activity.interaction_id, now)


async def link_transcript(
    connection: AsyncConnection, case_id: str, interaction_id: str, transcript_url: str, now: datetime
) -> None:
    await lock(connection, case_id, now)
    await connection.execute(
        update(activities)
        .where((activities.c.case_id == case_id) & (activities.c.interaction_id == interaction_id))
        .values(transcript_url=transcript_url)
    )


async def expire_recording(connection: AsyncConnection, recording_url: str, now: datetime) -> int:
    result = await connection.execute(
        update(activities)
        .where((activities.c.recording_url == recording_url) & activities.c.recording_expired_at.is_(None))
        .values(recording_expired_at=now)
    )
    return int(result.rowcount)


async def expire_transcript(connection: AsyncConnection, transcript_url: str, now: datetime) -> int:
    result = await connection.execute(
        update(activities)
        .where((activities.c.transcript_url == transcript_url) & activities.c.transcript_expired_at.is_(None))
        .values(transcript_expired_at=now)
    )
    return int(result.rowcount)


async def activities_of(connection: AsyncConnection, case_id: str) -> list[Activity]:
    await get(connection, case_id)
    query = (
        select(activities)
        .where(activities.c.case_id == case_id)
        .order_by(activities.c.started_at, activities.c.id)
    )
    return [_activity_of(row) for row in await connection.execute(query)]


async def change(
    connection: AsyncConnection,
    case_id: str,
    now: datetime,
    *,
    disposition: str | None,
    notes: str | None,
    status: CaseStatus | None,
    subject: str | None = None,
    priority: int | None = None,
) -> Case:
    await lock(connection, case_id, now)
    values: dict[str, Any] = {}
    if disposition is not None:
        values["disposition"] = disposition
    if notes is not None:
        values["notes"] = notes
    if status is not None:
        values["status"] = status.value
    if subject is not None:
        values["subject"], values["subject_key"] = subject.strip(), subject_key(subject)
    if priority is not None:
        values["priority"] = priority
    if values:
        await connection.execute(update(cases).where(cases.c.id == case_id).values(**values))
    return await get(connection, case_id)


async def search(connection: AsyncConnection, query: CaseQuery, account_id: str | None) -> list[Case]:
    sql = select(cases)
    if account_id is not None:
        sql = sql.where(cases.c.account_id == account_id)
    if query.status is not None:
        sql = sql.where(cases.c.status == query.status.value)
    if query.text:
        sql = sql.where(func.lower(cases.c.subject).contains(query.text.strip().lower(), autoescape=True))
    sql = sql.order_by(cases.c.updated_at.desc(), cases.c.id).limit(query.limit).offset(query.offset)
    return [case_of(row) for row in await connection.execute(sql)]


async def _add_interaction(
    connection: AsyncConnection, case: Case, interaction_id: str | None, now: datetime, *, priority: int = 0
) -> None:
    ids = list(case.interaction_ids)
    if interaction_id and interaction_id not in ids:
        ids.append(interaction_id)
    await connection.execute(
        update(cases)
        .where(cases.c.id == case.id)
        .values(interaction_ids=ids, updated_at=now, priority=max(case.priority, priority))
    )


def _activity_of(row: Any) -> Activity:
    return Activity(
        channel=row.channel,
        started_at=row.started_at,
        interaction_id=row.interaction_id,
        wait_seconds=row.wait_seconds,
        talk_seconds=row.talk_seconds,
        hold_seconds=row.hold_seconds,
        wrap_up_seconds=row.wrap_up_seconds,
        queue=row.queue,
        agent_id=row.agent_id,
        disposition=row.disposition,
        notes=row.notes,
        recording_url=row.recording_url,
        transcript_url=row.transcript_url,
        recording_expired=row.recording_expired_at is not None,
        transcript_expired=row.transcript_expired_at is not None,
        transcript=row.transcript,
    )
