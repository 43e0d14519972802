"""Token revocation kept in the database: a second list (another node, or after a restart) sees it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.auth import Principal, RevocationList, TokenRevoked, TokenService
from gateway.storage import Database

from ...clock import Clock

ALICE = Principal("alice", "agent", "Alice")


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'helpline.db'}", connect_timeout=5)
    await db.start()
    yield db
    await db.close()


async def test_given_a_logged_out_token_when_another_list_refreshes_then_it_is_revoked_there_too(
    database: Database,
) -> None:
    here, there = RevocationList(database, ttl_seconds=600), RevocationList(database, ttl_seconds=600)
    tokens = TokenService(secret=b"s" * 32, ttl_seconds=600, revocations=here)
    elsewhere = TokenService(secret=b"s" * 32, ttl_seconds=600, revocations=there)
    token, kept = tokens.issue(ALICE), tokens.issue(ALICE)

    await here.revoke_token(tokens.read(token))
    await there.refresh()

    for service in (tokens, elsewhere):
        with pytest.raises(TokenRevoked):
            service.read(token)
        assert service.read(kept).principal == ALICE


async def test_given_a_user_revocation_then_older_tokens_end_and_a_later_login_holds(
    database: Database,
) -> None:
    clock = Clock(1_900_000_000.0)
    revocations = RevocationList(database, ttl_seconds=600, clock=clock)
    tokens = TokenService(secret=b"s" * 32, ttl_seconds=600, revocations=revocations, clock=clock)
    before = tokens.read(tokens.issue(ALICE))
    clock.now += 0.001

    await revocations.revoke_user("alice")
    clock.now += 0.001
    after = tokens.read(tokens.issue(ALICE))

    assert not tokens.is_valid(before)
    assert tokens.is_valid(after)


async def test_given_entries_past_their_tokens_expiry_when_refreshed_then_they_are_dropped(
    database: Database,
) -> None:
    clock = Clock(1_900_000_000.0)
    revocations = RevocationList(database, ttl_seconds=60, clock=clock)
    await revocations.revoke_user("alice")
    clock.now += 3601

    fresh = RevocationList(database, ttl_seconds=60, clock=clock)
    await fresh.refresh()

    async with database.engine.connect() as connection:
        rows = (await connection.exec_driver_sql("SELECT count(*) FROM revoked_tokens")).scalar()
    assert rows == 0
