"""A returning chat customer's last agent: the most recent answered conversation, matched by the CRM's
customer id or by e-mail (any case), within the look-back window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.storage import ChatRecords, ConversationRecord, Database

NINE_AM = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def _conversation(
    number: int,
    *,
    agent_id: str | None,
    customer_id: str | None = None,
    email: str | None = None,
    minutes: int = 0,
) -> ConversationRecord:
    created = NINE_AM + timedelta(minutes=minutes)
    return ConversationRecord(
        id=f"conv-{number}",
        entry="website",
        interaction_id=f"conv-{number}-1",
        visitor_name="Ada",
        form={"name": "Ada"},
        state="ended",
        created_at=created,
        agent_id=agent_id,
        answered_at=created + timedelta(seconds=30) if agent_id else None,
        customer_id=customer_id,
        customer_email=email,
    )


async def _stored(database: Database, *records: ConversationRecord) -> ChatRecords:
    chats = ChatRecords(database)
    for record in records:
        await chats.create(record)
    return chats


async def test_given_several_conversations_when_asked_then_the_latest_answered_ones_agent(
    database: Database,
) -> None:
    chats = await _stored(
        database,
        _conversation(1, agent_id="bob", email="ada@example.com", minutes=0),
        _conversation(2, agent_id="alice", email="ada@example.com", minutes=10),
        _conversation(3, agent_id=None, email="ada@example.com", minutes=20),  # abandoned while waiting
        _conversation(4, agent_id="carol", email="someone@example.com", minutes=30),
    )

    found = await chats.last_agents(customer_id=None, email="Ada@Example.com", since=NINE_AM)

    assert found == ["alice", "bob"]
    assert await chats.last_agents(customer_id=None, email="ada@example.com", since=NINE_AM, limit=1) == [
        "alice"
    ]


async def test_given_crm_customer_id_when_email_changed_then_found_by_id(database: Database) -> None:
    chats = await _stored(
        database,
        _conversation(1, agent_id="bob", customer_id="cust-7", email="old@example.com", minutes=0),
        _conversation(2, agent_id="carol", email="new@example.com", minutes=5),
    )

    assert await chats.last_agents(customer_id="cust-7", email="other@example.com", since=NINE_AM) == ["bob"]
    assert await chats.last_agents(customer_id=None, email=None, since=NINE_AM) == []


async def test_given_conversation_older_than_lookback_when_asked_then_none(database: Database) -> None:
    chats = await _stored(database, _conversation(1, agent_id="bob", email="ada@example.com"))

    later = NINE_AM + timedelta(minutes=1)

    assert await chats.last_agents(customer_id=None, email="ada@example.com", since=later) == []
