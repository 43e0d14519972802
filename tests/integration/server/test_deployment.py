"""The server as deployed: PostgreSQL instead of SQLite, Redis fan-out, restarts, logs, admin routes."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from tests.integration.server.conftest import Server, bearer, login, start_server, stop_server
from tests.integration.server.test_routing_api import Listener, create, presence
from tests.services import Service, start_redis


@pytest.fixture(scope="module")
def redis() -> Iterator[Service]:
    service = start_redis()
    yield service
    service.stop()


@pytest.fixture
async def postgres_database() -> str:
    admin_url = os.environ["HELPLINE_TEST_POSTGRES_URL"].replace("+asyncpg", "")
    name = f"helpline_srv_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_url)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


async def test_given_postgresql_url_when_serving_then_interactions_are_stored_there(
    tmp_path: Path, http: aiohttp.ClientSession, postgres_database: str
) -> None:
    server = start_server(tmp_path, extra=("--database-url", postgres_database))
    try:
        token = await login(http, server, "crm", "crm-demo-secret")
        status, created = await create(
            http, server, token, channel="email", queue="web-chat", customer_ref="pg-customer"
        )
        assert status == 201, created
    finally:
        stop_server(server)
    conn = await asyncpg.connect(postgres_database)
    try:
        row = await conn.fetchrow(
            "SELECT queue_id, customer_ref FROM interactions WHERE id = $1", created["id"]
        )
        events = await conn.fetchval(
            "SELECT count(*) FROM routing_events WHERE interaction_id = $1", created["id"]
        )
    finally:
        await conn.close()
    assert dict(row) == {"queue_id": "web-chat", "customer_ref": "pg-customer"}
    assert events >= 2
    assert not (tmp_path / "data" / "helpline.db").exists()


async def test_given_redis_url_when_serving_then_socket_events_flow_through_redis(
    tmp_path: Path, http: aiohttp.ClientSession, redis: Service
) -> None:
    server = start_server(tmp_path, extra=("--redis-url", redis.url))
    supervisor = Listener("/supervisor", events=True)
    try:
        await supervisor.connect(server, await login(http, server, "sam"))
        bob = await login(http, server, "bob")
        assert (await presence(http, server, bob, "bob", "available")).status == 200
        event = await supervisor.next("event", match={"type": "presence_changed", "agent_id": "bob"})
        assert event["data"]["presence"]["kind"] == "available"
    finally:
        await supervisor.close()
        stop_server(server)


async def test_given_waiting_work_when_server_restarts_then_state_is_rebuilt_from_the_event_log(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    server = start_server(tmp_path)
    crm = await login(http, server, "crm", "crm-demo-secret")
    sam = await login(http, server, "sam")
    await presence(http, server, sam, "alice", "not_ready", "training")
    status, created = await create(
        http, server, crm, channel="chat", queue="web-chat", customer_ref="cust-restart"
    )
    assert (status, created["state"]) == (201, "waiting")
    stop_server(server)

    again = start_server(tmp_path)
    try:
        async with http.get(f"{again.base}/api/v1/interactions/{created['id']}", headers=bearer(sam)) as r:
            assert r.status == 200, "the token survives a restart"
            assert (await r.json())["state"] == "waiting"
        async with http.get(f"{again.base}/api/v1/agents", headers=bearer(sam)) as r:
            agents = {a["id"]: a for a in (await r.json())["items"]}
        assert agents["alice"]["presence"]["state"] == "not_ready"
        assert agents["alice"]["presence"]["reason"] == "training"
        # Routing after the restart saves the interaction again: whose it is must not be lost.
        assert (await presence(http, again, sam, "bob", "available")).status == 200
        async with http.get(f"{again.base}/api/v1/interactions/{created['id']}", headers=bearer(sam)) as r:
            detail = await r.json()
        assert detail["state"] == "offered"
        assert detail["customer_ref"] == "cust-restart"
    finally:
        stop_server(again)


async def test_given_an_interaction_when_routed_then_every_log_line_about_it_carries_its_id(
    server: Server, http: aiohttp.ClientSession
) -> None:
    crm = await login(http, server, "crm", "crm-demo-secret")
    status, created = await create(http, server, crm, channel="chat", queue="web-chat")
    assert status == 201
    assert f"[interaction={created['id']}]: interaction created in queue web-chat" in server.log_text()


async def test_given_admin_routes_when_called_by_each_role_then_only_admin_passes(
    server: Server, http: aiohttp.ClientSession
) -> None:
    for user, expected in (("alice", 403), ("sam", 403), ("ada", 200)):
        token = await login(http, server, user)
        async with http.get(server.base + "/api/v1/config", headers=bearer(token)) as r:
            assert r.status == expected
            if expected == 200:
                config = (await r.json())["config"]
    assert {u["password_hash"] for u in config["users"]} == {"<redacted>"}
    ada = await login(http, server, "ada")
    async with http.post(
        server.base + "/api/v1/config/check",
        headers=bearer(ada),
        json={"yaml": "queues: [{id: q, name: Q, strategie: x}]"},
    ) as r:
        answer = await r.json()
    assert answer["valid"] is False
    assert answer["problems"][0]["path"] == "queues[0]"


async def test_given_a_key_given_twice_when_admin_checks_the_config_then_400_names_it(
    server: Server, http: aiohttp.ClientSession
) -> None:
    ada = await login(http, server, "ada")
    twice = "server:\n  sip: {trunk: {uri: 'sip:{number}@10.0.0.5'}}\n  sip: {workers: 1}\n"
    async with http.post(
        server.base + "/api/v1/config/check", headers=bearer(ada), json={"yaml": twice}
    ) as r:
        answer = await r.json()
    assert (r.status, answer["error_id"]) == (400, "invalid_yaml"), answer
    assert "duplicate key 'sip'" in answer["message"], answer
