"""The revocation list: tokens revoked by logout, and users whose tokens an administrator revoked.

Kept in the database (so it survives restarts and is shared by nodes) and mirrored in memory, so checking a
token on every request and socket event reads no database. `refresh()` reloads the mirror (at start and then
periodically, which is how one node learns of another's revocations) and drops entries whose tokens have
expired anyway.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    delete,
    select,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.auth._tokens import Grant
from gateway.storage import Database, DatabaseUnavailable

__all__ = ["RevocationList", "metadata"]

logger = logging.getLogger("helpline.auth")

metadata = MetaData()
"""The auth package's tables; the composition root lists it in `DATABASE_METADATA`."""

_TOKEN, _USER = "token", "user"
_PURGE_EVERY_SECONDS = 3600

revoked = Table(
    "revoked_tokens",
    metadata,
    Column("kind", String(8), nullable=False),  # "token": subject is a token id; "user": a user id
    Column("subject", String(64), nullable=False),
    Column("revoked_at", Float, nullable=False),  # epoch seconds
    Column("expires_at", BigInteger, nullable=False),  # after this the entry revokes nothing still valid
    PrimaryKeyConstraint("kind", "subject", name="pk_revoked_tokens"),
)


class RevocationList:
    """Which tokens no longer hold; `is_revoked` answers from memory."""

    def __init__(
        self, database: Database, *, ttl_seconds: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._database = database
        self._ttl = ttl_seconds
        self._clock = clock
        self._tokens: dict[str, int] = {}  # token id -> expires_at
        self._users: dict[str, float] = {}  # user id -> revoked_at: tokens issued up to then are revoked
        self._purged_at = 0

    def is_revoked(self, grant: Grant) -> bool:
        if grant.token_id in self._tokens:
            return True
        revoked_at = self._users.get(grant.principal.user_id)
        return revoked_at is not None and grant.issued_at <= revoked_at

    async def revoke_token(self, grant: Grant) -> None:
        """Revoke one token (logout); stored before it takes effect, so a restart keeps it revoked."""
        await self._store(_TOKEN, grant.token_id, self._clock(), grant.expires_at)
        self._tokens[grant.token_id] = grant.expires_at
        logger.info("token %s of %s revoked", grant.token_id, grant.principal.user_id)

    async def revoke_user(self, user_id: str) -> float:
        """Revoke every token issued to `user_id` until now; returns the revocation time (epoch seconds)."""
        now = self._clock()
        await self._store(_USER, user_id, now, int(now) + self._ttl + 1)
        self._users[user_id] = max(now, self._users.get(user_id, now))
        logger.info("every token of %s issued until %.3f revoked", user_id, now)
        return now

    async def refresh(self) -> None:
        """Reload from the database, forgetting entries that outlived every token they could revoke."""
        now = int(self._clock())
        purge = now - self._purged_at >= _PURGE_EVERY_SECONDS
        async with self._connection() as connection:
            if purge:  # a write: not on every refresh
                await connection.execute(delete(revoked).where(revoked.c.expires_at < now))
            rows = (await connection.execute(select(revoked).where(revoked.c.expires_at >= now))).all()
        if purge:
            self._purged_at = now
        self._tokens = {r.subject: r.expires_at for r in rows if r.kind == _TOKEN}
        self._users = {r.subject: r.revoked_at for r in rows if r.kind == _USER}

    async def run_refresh(self, every: float) -> None:
        """Refresh forever (a background task of the app); a failed refresh keeps the last list."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.refresh()
            except DatabaseUnavailable as exc:
                logger.warning("revocation list not refreshed: %s", exc)

    async def _store(self, kind: str, subject: str, revoked_at: float, expires_at: int) -> None:
        async with self._connection() as connection:
            where = (revoked.c.kind == kind) & (revoked.c.subject == subject)
            await connection.execute(delete(revoked).where(where))
            await connection.execute(
                revoked.insert().values(
                    kind=kind, subject=subject, revoked_at=revoked_at, expires_at=expires_at
                )
            )

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[AsyncConnection]:
        try:
            async with self._database.engine.begin() as connection:
                yield connection
        except (SQLAlchemyError, OSError, sqlite3.Error) as exc:
            raise DatabaseUnavailable(self._database.url, f"{type(exc).__name__}: {exc}") from exc
