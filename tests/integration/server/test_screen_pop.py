"""The CTI path through a running server: the offer pops the customer, the wrap-up lands on the case."""

from __future__ import annotations

import uuid

import aiohttp

from tests.integration.server.conftest import Server, bearer, login
from tests.integration.server.test_routing_api import Listener, all_offline, create, presence


async def test_given_premium_customer_when_chat_offered_then_pop_shows_them_and_wrap_up_updates_the_case(
    server: Server, http: aiohttp.ClientSession
) -> None:
    crm, sam, alice_token = (
        await login(http, server, "crm", "crm-demo-secret"),
        await login(http, server, "sam"),
        await login(http, server, "alice"),
    )
    phone = f"+44 20 7946 {uuid.uuid4().int % 10000:04d}"
    customer = {
        "name": "Grace <b>Hopper</b>",
        "phone": phone,
        "email": f"g{uuid.uuid4().hex[:6]}@example.com",
        "entitlements": [{"level": "premium", "starts": "2020-01-01"}],
    }
    async with http.post(server.base + "/api/v1/customers", json=customer, headers=bearer(crm)) as r:
        assert r.status == 201, await r.text()
    await all_offline(http, server, sam)
    alice = Listener("/agent")
    try:
        await alice.connect(server, alice_token)
        await presence(http, server, alice_token, "alice", "available")
        status, created = await create(
            http,
            server,
            crm,
            channel="chat",
            queue="web-chat",
            attributes={"phone": phone, "intent": "refund"},
        )
        assert status == 201, created
        offer = await alice.next("offer", match={"interaction_id": created["id"]})
        pop = offer["pop"]
        if pop is None or pop["case"] is None:
            # The CRM answered after the offer went out: the complete pop follows as its own event.
            pop = (await alice.next("pop", match={"interaction_id": created["id"]}))["pop"]
        assert pop["customer"]["name"] == "Grace <b>Hopper</b>"
        assert pop["entitlement"]["level"] == "premium"
        assert pop["case"]["subject"] == "refund"
        case_id = pop["case"]["id"]
        assert case_id, "the case is created before the agent answers"

        assert (await alice.call("accept", {"interaction_id": created["id"]}))["ok"] is True
        end = {"disposition": "refund-issued", "notes": "Refunded order 1234"}
        async with http.post(
            f"{server.base}/api/v1/interactions/{created['id']}/end", json=end, headers=bearer(alice_token)
        ) as r:
            assert r.status == 200, await r.text()
    finally:
        await alice.close()
    async with http.get(f"{server.base}/api/v1/cases/{case_id}", headers=bearer(sam)) as r:
        case = await r.json()
    assert case["disposition"] == "refund-issued"
    assert case["notes"] == "Refunded order 1234"
    assert created["id"] in case["interaction_ids"]
    async with http.get(f"{server.base}/api/v1/cases/{case_id}/activities", headers=bearer(sam)) as r:
        activities = await r.json()
    items = activities["items"] if isinstance(activities, dict) else activities
    assert any(a.get("interaction_id") == created["id"] and a.get("agent_id") == "alice" for a in items), (
        items
    )
