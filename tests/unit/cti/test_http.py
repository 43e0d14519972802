"""The customers and cases REST API over the built-in CRM, behind the gateway's guard and error middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from cti_adapter import CtiService, DialRequest
from cti_adapter.builtin import BuiltinCrm
from gateway.auth import TOKENS, Principal, TokenService, guard
from gateway.cti.http import ERRORS, routes
from gateway.storage import Database, InteractionRecord
from gateway.web import error_middleware_for

TOKENS_SERVICE = TokenService(secret=b"x" * 32, ttl_seconds=600)
NOON = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ANN = {
    "name": "Ann Lee",
    "phone": "020 7946 0958",
    "email": "ann@lee.example",
    "account_number": "10023456",
    "company": "Lee Logistics",
    "entitlements": [
        {"level": "premium", "starts": "2024-01-01", "ends": "2099-12-31", "products": ["router"]}
    ],
}


class Dialer:
    def __init__(self) -> None:
        self.dialed: list[DialRequest] = []

    async def dial(self, request: DialRequest) -> None:
        self.dialed.append(request)


@pytest.fixture
def dialer() -> Dialer:
    return Dialer()


@pytest.fixture
async def client(crm: BuiltinCrm, dialer: Dialer, database: Database) -> AsyncIterator[TestClient[Any, Any]]:
    for call in ("call-1", "call-2"):  # calls alice answered
        await database.save_interaction(
            InteractionRecord(id=call, channel="voice", queue_id="support", created_at=NOON, agent_id="alice")
        )
    app = web.Application(middlewares=[error_middleware_for(ERRORS)])
    app[TOKENS] = TOKENS_SERVICE
    for route in routes(crm, CtiService(crm, dialer=dialer), interactions=database, agents={"alice"}):
        app.router.add_route(route.method, route.path, guard(route.handler, route.roles or ()))
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def auth(role: str, user: str = "someone") -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS_SERVICE.issue(Principal(user, role, user))}"}


async def test_given_an_admin_when_creating_a_customer_then_it_is_found_by_phone_with_entitlement(
    client: TestClient[Any, Any],
) -> None:
    created = await client.post("/api/v1/customers", json=ANN, headers=auth("admin"))
    assert created.status == 201, await created.text()
    body = await created.json()

    found = await client.get("/api/v1/customers", params={"phone": "+44 20 7946 0958"}, headers=auth("agent"))
    detail = await client.get(f"/api/v1/customers/{body['id']}", headers=auth("agent"))

    assert body["phone"] == "+442079460958"
    assert [c["id"] for c in (await found.json())["items"]] == [body["id"]]
    entitlements = (await detail.json())["entitlements"]
    assert [(e["level"], e["active"], e["products"]) for e in entitlements] == [("premium", True, ["router"])]


async def test_given_an_agent_when_creating_a_customer_then_forbidden_and_nothing_is_stored(
    client: TestClient[Any, Any],
) -> None:
    response = await client.post("/api/v1/customers", json=ANN, headers=auth("agent"))
    listing = await client.get("/api/v1/customers", headers=auth("agent"))

    assert response.status == 403
    assert (await listing.json())["items"] == []


@pytest.mark.parametrize(
    ("change", "status", "error_id"),
    [
        ({"phone": "12"}, 400, "invalid_phone"),
        ({"name": ""}, 400, "invalid_body"),
        ({"fax": "1"}, 400, "invalid_body"),
        ({"entitlements": [{"level": "premium", "starts": "2024-02-30"}]}, 400, "invalid_body"),
        (
            {"entitlements": [{"level": "x", "starts": "2024-02-01", "ends": "2024-01-01"}]},
            400,
            "invalid_body",
        ),
    ],
)
async def test_given_bad_customer_input_when_created_then_a_clear_error_and_nothing_is_stored(
    client: TestClient[Any, Any], change: dict[str, Any], status: int, error_id: str
) -> None:
    response = await client.post("/api/v1/customers", json={**ANN, **change}, headers=auth("integration"))
    listing = await client.get("/api/v1/customers", headers=auth("agent"))

    assert response.status == status
    assert (await response.json())["error_id"] == error_id
    assert (await listing.json())["items"] == []


async def test_given_a_known_phone_when_another_customer_is_created_then_409_duplicate(
    client: TestClient[Any, Any],
) -> None:
    await client.post("/api/v1/customers", json=ANN, headers=auth("admin"))

    response = await client.post(
        "/api/v1/customers", json={**ANN, "email": "other@example.com"}, headers=auth("admin")
    )

    assert response.status == 409
    assert (await response.json())["details"] == {"field": "phone", "value": "+442079460958"}


async def test_given_a_customer_when_an_agent_files_two_calls_on_one_subject_then_one_case_holds_both(
    client: TestClient[Any, Any],
) -> None:
    customer = await (await client.post("/api/v1/customers", json=ANN, headers=auth("admin"))).json()
    case_in = {"customer_id": customer["id"], "subject": "Router", "interaction_id": "call-1"}

    opened = await client.post("/api/v1/cases", json=case_in, headers=auth("agent", "alice"))
    joined = await client.post(
        "/api/v1/cases", json={**case_in, "interaction_id": "call-2"}, headers=auth("agent", "alice")
    )
    case = await joined.json()
    logged = await client.post(
        f"/api/v1/cases/{case['id']}/activities",
        headers=auth("agent", "alice"),
        json={
            "channel": "voice",
            "started_at": "2025-06-01T10:00:00+00:00",
            "interaction_id": "call-2",
            "talk_seconds": 60,
            "agent_id": "alice",
            "recording_url": "https://helpline.example/rec/call-2.wav",
        },
    )
    patched = await client.patch(
        f"/api/v1/cases/{case['id']}",
        json={"status": "closed", "disposition": "fixed"},
        headers=auth("agent"),
    )
    open_now = await client.get(
        "/api/v1/cases", params={"customer_id": customer["id"], "status": "open"}, headers=auth("supervisor")
    )

    assert (opened.status, joined.status, logged.status, patched.status) == (201, 200, 201, 200)
    assert case["interaction_ids"] == ["call-1", "call-2"]
    assert (await logged.json())["items"][0]["recording_url"] == "https://helpline.example/rec/call-2.wav"
    assert (await patched.json())["status"] == "closed"
    assert (await open_now.json())["items"] == []


async def test_given_unknown_ids_when_read_then_404_names_the_id(client: TestClient[Any, Any]) -> None:
    customer = await client.get("/api/v1/customers/nope", headers=auth("agent"))
    case = await client.patch("/api/v1/cases/nope", json={"notes": "x"}, headers=auth("agent"))

    assert customer.status == 404 and (await customer.json())["details"] == {"customer_id": "nope"}
    assert case.status == 404 and (await case.json())["details"] == {"case_id": "nope"}


async def test_given_no_token_when_reading_customers_then_401(client: TestClient[Any, Any]) -> None:
    assert (await client.get("/api/v1/customers")).status == 401


async def test_given_an_agent_when_clicking_to_dial_then_their_phone_is_asked_to_call_the_e164_number(
    client: TestClient[Any, Any], dialer: Dialer
) -> None:
    response = await client.post(
        "/api/v1/cti/dial", json={"number": "020 7946 0958"}, headers=auth("agent", "alice")
    )
    bad = await client.post("/api/v1/cti/dial", json={"number": "12"}, headers=auth("agent", "alice"))

    assert response.status == 202
    assert [(d.agent_id, d.number) for d in dialer.dialed] == [("alice", "+442079460958")]
    assert bad.status == 400 and (await bad.json())["error_id"] == "invalid_phone"


async def test_given_no_dialer_when_an_agent_clicks_to_dial_then_503_dial_unavailable_says_why(
    crm: BuiltinCrm, database: Database
) -> None:
    app = web.Application(middlewares=[error_middleware_for(ERRORS)])
    app[TOKENS] = TOKENS_SERVICE
    # a gateway without a SIP front wires no dialer
    for route in routes(crm, CtiService(crm), interactions=database, agents={"alice"}):
        app.router.add_route(route.method, route.path, guard(route.handler, route.roles or ()))
    async with TestClient(TestServer(app)) as client:
        response = await client.post(
            "/api/v1/cti/dial", json={"number": "020 7946 0958"}, headers=auth("agent", "alice")
        )
        body = await response.json()

    assert (response.status, body["error_id"]) == (503, "dial_unavailable")
    assert "no dialer" in body["message"]
