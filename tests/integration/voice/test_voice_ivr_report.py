"""Callers walk the IVR over real SIP calls; the IVR report, read over REST from the routing server's own
metrics engine, shows the option each chose and where each left: one hung up at the account prompt, the
other went to the support queue."""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.acd import EventType
from gateway.analytics import http as stats_http
from gateway.auth import TOKENS, Principal, TokenService, guard
from gateway.web import error_middleware_for
from tests.integration.voice.conftest import Caller, Gateway, Step

HANGS_UP_AT_ACCOUNT: list[Step] = [("pause", 1500), ("dtmf", "1"), ("pause", 1500)]
GOES_TO_SUPPORT: list[Step] = [("pause", 1500), ("dtmf", "2"), ("pause", 2000)]
IVR_EVENTS_PER_CALL = 5  # started, menu reached, option chosen, next step reached, left


class Reports:
    def __init__(self, client: TestClient[web.Request, web.Application], token: str) -> None:
        self.client, self.token = client, token

    async def get(self, query: str) -> tuple[str, bytes]:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.client.get(f"/api/v1/stats/ivr?{query}", headers=headers) as answer:
            assert answer.status == 200, await answer.text()
            return answer.content_type, await answer.read()


@pytest.fixture
async def reports() -> AsyncIterator[Callable[[Gateway], Any]]:
    """The production stats routes over a gateway's routing server's metrics engine, as a supervisor."""
    clients: list[TestClient[web.Request, web.Application]] = []

    async def open_for(gateway: Gateway) -> Reports:
        tokens = TokenService(secret=secrets.token_bytes(32), ttl_seconds=600)
        app = web.Application(middlewares=[error_middleware_for(stats_http.ERRORS)])
        app[TOKENS] = tokens
        for route in stats_http.routes(gateway.hub.stats.engine, queue_names={}, agent_names={}):
            assert route.roles is not None
            app.router.add_route(route.method, route.path, guard(route.handler, route.roles))
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return Reports(client, tokens.issue(Principal("sam", "supervisor", "Sam")))

    yield open_for
    for client in clients:
        await client.close()


async def test_given_two_callers_when_the_ivr_report_is_read_then_it_shows_their_choices_and_where_they_left(
    start_phone: Callable[..., Any],
    start_gateway: Callable[..., Any],
    caller: Caller,
    reports: Callable[[Gateway], Any],
) -> None:
    phone = await start_phone(answer=["alice", "bob"])
    gateway: Gateway = await start_gateway(phone)  # nobody is available: the support caller waits

    for steps in (HANGS_UP_AT_ACCOUNT, GOES_TO_SUPPORT):
        status, errors = await caller.call(gateway.port, steps)
        assert status == 0, errors
    await gateway.wait_for(EventType.IVR, count=2 * IVR_EVENTS_PER_CALL)
    await gateway.wait_for(EventType.ABANDONED)
    today = datetime.now(UTC).date().isoformat()
    rest: Reports = await reports(gateway)

    kind, body = await rest.get(f"start={today}&size=day")

    assert kind == "application/json"
    report = json.loads(body)
    [totals] = report["totals"]
    assert (totals["calls"], totals["hung_up"], totals["queued"]) == (2, 1, {"support": 1})
    nodes = {n["node"]: n for n in report["nodes"]}
    assert list(nodes) == ["main[0]", "billing[0]", "support[0]"]
    assert (nodes["main[0]"]["verb"], nodes["main[0]"]["reached"]) == ("menu", 2)
    assert nodes["main[0]"]["options"] == {"1": 1, "2": 1}
    assert nodes["main[0]"]["by_speech"] == 0
    assert (nodes["billing[0]"]["verb"], nodes["billing[0]"]["hung_up"]) == ("collect", 1)
    assert (nodes["support[0]"]["reached"], nodes["support[0]"]["queued"]) == (1, {"support": 1})
    assert sum(n["hung_up"] for n in nodes.values()) == 1

    kind, body = await rest.get(f"start={today}&size=day&format=csv")

    assert kind == "text/csv"
    rows = {r["node"]: r for r in csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline=""))}
    assert (rows["main[0]"]["options.1"], rows["main[0]"]["options.2"]) == ("1", "1")
    assert rows["billing[0]"]["hung_up"] == "1" and rows["support[0]"]["queued.support"] == "1"
    assert datetime.fromisoformat(rows["main[0]"]["start"]).date().isoformat() == today
