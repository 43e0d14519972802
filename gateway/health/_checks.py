"""The checks the gateway runs: database, Redis and the SIP front, each a `Check` built by a function."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.health._report import Check, Component
from gateway.sip.front import SipHealth

__all__ = ["database_check", "redis_check", "sip_check"]


class _Database(Protocol):
    @property
    def engine(self) -> AsyncEngine: ...


class _Redis(Protocol):
    async def ping(self) -> object: ...


class _SipFront(Protocol):
    async def health(self) -> SipHealth: ...


def database_check(database: _Database) -> Check:
    async def check() -> Sequence[Component]:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return [Component(name="database", ok=True, details={"dialect": database.engine.dialect.name})]

    return check


def redis_check(redis: _Redis) -> Check:
    async def check() -> Sequence[Component]:
        await redis.ping()
        return [Component(name="redis", ok=True)]

    return check


def sip_check(front: _SipFront) -> Check:
    """Media workers (at least one ready), and Kamailio (answering on its SIP port) when it is in front."""

    async def check() -> Sequence[Component]:
        health = await front.health()
        workers = Component(
            name="workers",
            ok=health.workers_ready > 0,
            details={"ready": health.workers_ready, "total": health.workers_total},
        )
        if health.kamailio is None:
            return [workers]
        kamailio = health.kamailio
        details = {"state": kamailio.state.value, "pid": kamailio.pid, "restarts": kamailio.restarts}
        return [Component(name="kamailio", ok=kamailio.answers, details=details), workers]

    return check
