"""On PostgreSQL, a request holding more than a column takes is refused at the edge; storage never jams.

The issue's case: a customer_ref of 129-200 characters (REST allowed 200, the column holds 128) made the
event writer retry one batch forever, every read answer 503 and every command take 10 s.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import aiohttp
import asyncpg
import pytest

from tests.integration.server.conftest import Server, bearer, login, set_presence, start_server, stop_server
from tests.integration.server.test_routing_api import Listener, create


async def _create_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def postgres_url() -> str:
    admin_url = os.environ["HELPLINE_TEST_POSTGRES_URL"].replace("+asyncpg", "")
    name = f"helpline_limits_{uuid.uuid4().hex[:8]}"
    asyncio.run(_create_database(admin_url, name))
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("pg"), extra=("--database-url", postgres_url))
    yield server
    assert server.alive(), server.log_text()
    stop_server(server)


def _fields(answer: dict[str, object]) -> set[str]:
    details = answer["details"]
    assert isinstance(details, dict)
    return {e["field"] for e in details["errors"]}


@pytest.mark.postgres
async def test_given_postgresql_when_a_customer_ref_outgrows_its_column_then_400_names_it_and_reads_work(
    pg_server: Server, http: aiohttp.ClientSession, postgres_url: str
) -> None:
    crm, sam = await login(http, pg_server, "crm", "crm-demo-secret"), await login(http, pg_server, "sam")
    for length in (129, 200):
        status, answer = await create(
            http, pg_server, crm, channel="chat", queue="web-chat", customer_ref="c" * length
        )
        assert (status, answer["error_id"]) == (400, "invalid_body"), answer
        assert _fields(answer) == {"customer_ref"}

    status, created = await create(
        http, pg_server, crm, channel="chat", queue="web-chat", customer_ref="c" * 128
    )
    assert status == 201, created
    async with http.get(f"{pg_server.base}/api/v1/interactions/{created['id']}", headers=bearer(sam)) as r:
        assert r.status == 200
        assert (await r.json())["customer_ref"] == "c" * 128
    conn = await asyncpg.connect(postgres_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM interactions WHERE length(customer_ref) > 128") == 0
        assert await conn.fetchval("SELECT count(*) FROM dead_letters") == 0
    finally:
        await conn.close()


@pytest.mark.postgres
async def test_given_postgresql_when_an_end_gives_an_overlong_disposition_then_400_and_still_assigned(
    pg_server: Server, http: aiohttp.ClientSession
) -> None:
    crm, sam, bob = (
        await login(http, pg_server, "crm", "crm-demo-secret"),
        await login(http, pg_server, "sam"),
        await login(http, pg_server, "bob"),
    )
    await set_presence(http, pg_server, sam, {"alice": "offline", "carol": "offline", "bob": "available"})
    agent = Listener("/agent")
    try:
        await agent.connect(pg_server, bob)
        status, created = await create(
            http, pg_server, crm, channel="chat", queue="web-chat", only_agent="bob"
        )
        assert status == 201, created
        await agent.next("offer", match={"interaction_id": created["id"]}, timeout=20)
        assert (await agent.call("accept", {"interaction_id": created["id"]}))["ok"] is True
        end = f"{pg_server.base}/api/v1/interactions/{created['id']}/end"

        async with http.post(end, json={"disposition": "d" * 65}, headers=bearer(bob)) as r:
            answer = await r.json()
            assert (r.status, _fields(answer)) == (400, {"disposition"}), answer
        async with http.get(
            f"{pg_server.base}/api/v1/interactions/{created['id']}", headers=bearer(bob)
        ) as r:
            assert (await r.json())["state"] == "assigned"  # the refused request changed nothing

        async with http.post(end, json={"disposition": "d" * 64}, headers=bearer(bob)) as r:
            assert r.status == 200, await r.text()
            assert (await r.json())["state"] == "ended"
    finally:
        await agent.close()
