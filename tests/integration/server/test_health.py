"""`/healthz` of a server using Redis: each component named, 503 once Redis is gone."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from tests.integration.server.conftest import Server, start_server, stop_server
from tests.services import start_redis


async def _health(http: aiohttp.ClientSession, server: Server) -> tuple[int, dict[str, Any]]:
    async with http.get(server.base + "/healthz") as response:
        return response.status, await response.json()


async def test_given_a_server_on_redis_when_redis_stops_then_healthz_says_503_naming_redis(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    redis = await asyncio.to_thread(start_redis)
    try:
        server = await asyncio.to_thread(start_server, tmp_path, extra=("--redis-url", redis.url))
        try:
            up = await _health(http, server)
            await asyncio.to_thread(redis.stop)
            down = await _health(http, server)
        finally:
            await asyncio.to_thread(stop_server, server)
    finally:
        await asyncio.to_thread(redis.stop)

    assert up == (
        200,
        {
            "status": "ok",
            "version": up[1]["version"],
            "components": {"database": {"status": "ok", "dialect": "sqlite"}, "redis": {"status": "ok"}},
        },
    )
    assert down[0] == 503, down
    assert down[1]["status"] == "unavailable"
    assert down[1]["components"]["database"] == {"status": "ok", "dialect": "sqlite"}
    assert down[1]["components"]["redis"]["status"] == "down", down
    assert "kamailio" not in down[1]["components"]  # --no-sip: no SIP front to report
