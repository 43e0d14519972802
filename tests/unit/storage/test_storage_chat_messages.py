"""Chat messages are stored with the conversation's next seq by a writer that keeps its connection between
batches; a connection dropped under it (a database restart, an idle timeout) costs no message."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.storage import ChatRecords, ConversationRecord, Database, MessageRecord, RejectedData

NOON = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _message(text: str, client_id: str) -> MessageRecord:
    return MessageRecord("conv-1", 0, "customer", "Ada", text, NOON, client_id=client_id)


async def _chat(database: Database) -> ChatRecords:
    chats = ChatRecords(database)
    conversation = ConversationRecord("conv-1", "website", "conv-1-1", "Ada", {"name": "Ada"}, "active", NOON)
    await chats.create(conversation)
    return chats


async def test_given_many_messages_at_once_when_stored_then_seqs_follow_and_resends_are_the_same(
    database: Database,
) -> None:
    chats = await _chat(database)
    try:
        stored = await asyncio.gather(*(chats.append(_message(f"m{n}", f"c{n}")) for n in range(40)))
        assert sorted(m.seq for m, new in stored if new) == list(range(1, 41))
        again, new = await chats.append(_message("m7", "c7"))
        assert not new and again.seq == next(m.seq for m, _ in stored if m.client_id == "c7")
        assert [m.text for m in await chats.messages("conv-1", after=38)] == [
            m.text for m, _ in sorted(stored, key=lambda s: s[0].seq)[38:]
        ]
    finally:
        await chats.close()


async def test_given_a_time_with_an_offset_when_stored_and_resent_then_it_reads_back_as_that_instant_in_utc(
    database: Database,
) -> None:
    chats = await _chat(database)
    at = datetime(2026, 5, 1, 14, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    try:
        first, _ = await chats.append(replace(_message("hello", "c1"), at=at))
        again, new = await chats.append(replace(_message("hello", "c1"), at=NOON + timedelta(minutes=5)))
        [read] = await chats.messages("conv-1")
        assert not new and again == first
        assert read.at == again.at == at and read.at.utcoffset() == again.at.utcoffset() == timedelta(0)
    finally:
        await chats.close()


async def test_given_customer_and_agent_use_the_same_client_id_when_both_send_then_both_are_stored(
    database: Database,
) -> None:
    chats = await _chat(database)
    agent = replace(_message("from the agent", "c1"), sender="agent", author_id="alice")
    try:
        stored = await asyncio.gather(chats.append(_message("from the customer", "c1")), chats.append(agent))
        resent = await asyncio.gather(chats.append(agent), chats.append(_message("again", "c1")))
        assert all(new for _, new in stored) and not any(new for _, new in resent)
        assert [m for m, _ in resent] == [stored[1][0], stored[0][0]]
        texts = sorted(m.text for m in await chats.messages("conv-1"))
        assert texts == ["from the agent", "from the customer"]
    finally:
        await chats.close()


async def test_given_a_batch_with_a_refused_message_when_written_then_none_of_it_is_stored_and_the_next_is(
    database: Database,
) -> None:
    chats = await _chat(database)
    refused = replace(_message("", "c2"), text=None)  # type: ignore[arg-type]  # the column is NOT NULL
    try:
        batch = await asyncio.gather(
            chats.append(_message("first", "c1")), chats.append(refused), return_exceptions=True
        )
        assert all(isinstance(outcome, RejectedData) for outcome in batch)
        stored, new = await chats.append(_message("after", "c3"))
        assert new and stored.seq == 1
        assert [m.text for m in await chats.messages("conv-1")] == ["after"]
    finally:
        await chats.close()


@pytest.mark.postgres
async def test_given_the_writers_connection_dropped_when_next_message_sent_then_it_is_stored(
    postgres_url: str,
) -> None:
    database = Database(postgres_url, connect_timeout=5)
    await database.start()
    chats = await _chat(database)
    admin = create_async_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        first, _ = await chats.append(_message("before", "c1"))
        async with admin.connect() as connection:
            dropped = await connection.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        assert dropped, "the writer's connection was open"
        second, new = await chats.append(_message("after", "c2"))
        assert new and second.seq == first.seq + 1
        assert [m.text for m in await chats.messages("conv-1")] == ["before", "after"]
    finally:
        await admin.dispose()
        await chats.close()
        await database.close()
