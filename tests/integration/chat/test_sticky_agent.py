"""Sticky chat routing through `helpline serve` over real Socket.IO: a returning customer's chat is offered
to the agent who served them before, although another agent has been idle longer, or waits for them until
the queue's `drop_preferred_agent` step; and a chat ended through `POST /api/v1/interactions/{id}/end` (not
from its window) still puts its transcript on the case."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import yaml

from tests.integration.chat.conftest import Customer, agent_sockets, chat_config, form, make_available
from tests.integration.server.conftest import Server, bearer, login, start_server, stop_server
from tests.integration.server.test_routing_api import Listener


@pytest.fixture(scope="module")
def sticky_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("sticky")
    srv = start_server(tmp, config=chat_config(tmp, sticky_agent={"enabled": True}))
    yield srv
    assert srv.alive(), "the server died during the tests:\n" + srv.log_text()
    stop_server(srv)


WAIT_FOR_LAST_AGENT = 4.0


@pytest.fixture(scope="module")
def waiting_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Sticky routing on a chat queue that waits for the last agent alone for a few seconds."""
    tmp = tmp_path_factory.mktemp("sticky-wait")
    path = chat_config(tmp, sticky_agent={"enabled": True})
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    for queue in config["queues"]:
        if queue["id"] == "web-chat":
            queue["relaxation"] = [{"after_seconds": WAIT_FOR_LAST_AGENT, "drop_preferred_agent": True}]
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    srv = start_server(tmp, config=path)
    yield srv
    assert srv.alive(), "the server died during the tests:\n" + srv.log_text()
    stop_server(srv)


async def _known_customer(http: aiohttp.ClientSession, server: Server) -> str:
    crm = await login(http, server, "crm", "crm-demo-secret")
    email = f"grace{uuid.uuid4().hex[:8]}@example.com"
    body = {"name": "Grace Hopper", "email": email, "phone": f"+44 20 7946 {uuid.uuid4().int % 10000:04d}"}
    async with http.post(server.base + "/api/v1/customers", json=body, headers=bearer(crm)) as r:
        assert r.status == 201, await r.text()
    return email


async def _offer_with_case(offers: Listener) -> tuple[dict[str, Any], str]:
    offer = await offers.next("offer")
    pop = offer["pop"]
    if pop is None or pop["case"] is None:
        pop = (await offers.next("pop", match={"interaction_id": offer["interaction_id"]}))["pop"]
    return offer, pop["case"]["id"]


@dataclass
class _Desk:
    """alice available (bob and carol offline), both agents' panels connected, and a customer's two visits."""

    sam: str
    alice_token: str
    alice_offers: Listener
    alice_chat: Listener
    bob_offers: Listener
    first: Customer
    again: Customer


@asynccontextmanager
async def _desk(http: aiohttp.ClientSession, server: Server) -> AsyncIterator[_Desk]:
    alice_token, bob_token = await login(http, server, "alice"), await login(http, server, "bob")
    sam = await login(http, server, "sam")
    await make_available(http, server, {"alice": "available", "bob": "offline", "carol": "offline"})
    alice_offers, alice_chat = await agent_sockets(server, alice_token)
    bob_offers, bob_chat = await agent_sockets(server, bob_token)
    desk = _Desk(sam, alice_token, alice_offers, alice_chat, bob_offers, Customer(), Customer())
    try:
        yield desk
    finally:
        for closing in (desk.first, desk.again):
            await closing.close()
        for listener in (alice_offers, alice_chat, bob_offers, bob_chat):
            await listener.close()


async def test_given_returning_customer_when_chatting_again_then_offered_to_their_last_agent(
    sticky_server: Server, http: aiohttp.ClientSession
) -> None:
    server = sticky_server
    email = await _known_customer(http, server)
    async with _desk(http, server) as desk:
        sam, alice_token, first, again = desk.sam, desk.alice_token, desk.first, desk.again
        alice_offers, alice_chat, bob_offers = desk.alice_offers, desk.alice_chat, desk.bob_offers
        # the first chat: only alice is there; she ends it through REST, not from its window
        await first.connect(server)
        await first.open(form("Grace Hopper", email, "support"))
        offer, case_id = await _offer_with_case(alice_offers)
        assert (await alice_offers.call("accept", {"interaction_id": offer["interaction_id"]}))["ok"]
        chat = await alice_chat.next("chat")
        assert (await first.send("My router blinks red"))["ok"]
        await alice_chat.next("message", match={"sender": "customer"})
        url = f"{server.base}/api/v1/interactions/{offer['interaction_id']}/end"
        body = {"disposition": "resolved", "notes": "Replaced the router"}
        async with http.post(url, json=body, headers=bearer(alice_token)) as r:
            assert r.status == 200, await r.text()
        over = await first.next("ended")
        assert over["ended_by"] == "agent"
        assert (await alice_chat.next("ended"))["conversation_id"] == chat["conversation"]["id"]

        # bob becomes available before alice is back: he has been idle longer
        await make_available(http, server, {"alice": "offline"})
        await make_available(http, server, {"bob": "available"})
        await asyncio.sleep(0.05)
        await make_available(http, server, {"alice": "available"})

        await again.connect(server)
        await again.open(form("Grace Hopper", email.upper(), "support"))
        returning = await alice_offers.next("offer")
        assert returning["interaction_id"].startswith(str(again.conversation_id))
        with pytest.raises(TimeoutError):
            await bob_offers.next("offer", timeout=1)
        async with http.get(
            f"{server.base}/api/v1/interactions/{returning['interaction_id']}", headers=bearer(sam)
        ) as r:
            assert r.status == 200, await r.text()
            trace = (await r.json())["trace"]
        decision = next(d for d in reversed(trace) if d.get("chosen_agent") == "alice")
        assert decision["rule"] == "preferred_agent"
        scores = {c["agent_id"]: c["score"] for c in decision["candidates"]}
        assert scores["bob"] < scores["alice"], "by the queue's own rule bob came first"
        await again.call("end")
        await again.next("ended")

    async with http.get(server.base + over["transcript_url"], headers=bearer(sam)) as r:
        assert r.status == 200, await r.text()
    async with http.get(f"{server.base}/api/v1/cases/{case_id}/activities", headers=bearer(sam)) as r:
        body = await r.json()
    items = body["items"] if isinstance(body, dict) else body
    ended = [
        a
        for a in items
        if a.get("channel") == "chat"
        and a.get("transcript_url") == over["transcript_url"]
        and a.get("disposition") == "resolved"
    ]
    assert ended, items
    assert "My router blinks red" in ended[0]["transcript"], "the text is on the case, as from the window"
    assert "Customer: Grace Hopper" in ended[0]["transcript"]


async def test_given_last_agent_away_when_customer_returns_then_waits_for_them_until_the_queue_step(
    waiting_server: Server, http: aiohttp.ClientSession
) -> None:
    server = waiting_server
    email = await _known_customer(http, server)
    async with _desk(http, server) as desk:
        sam, first, again = desk.sam, desk.first, desk.again
        alice_offers, alice_chat, bob_offers = desk.alice_offers, desk.alice_chat, desk.bob_offers
        await first.connect(server)
        opened = await first.open(form("Grace Hopper", email, "support"))
        offer = await alice_offers.next("offer")
        assert (await alice_offers.call("accept", {"interaction_id": offer["interaction_id"]}))["ok"]
        await alice_chat.next("chat")
        ended = await alice_chat.call(
            "end", {"conversation_id": opened["conversation"]["id"], "disposition": "resolved"}
        )
        assert ended["ok"], ended
        await first.next("ended")

        await make_available(http, server, {"alice": "offline", "bob": "available"})
        await again.connect(server)
        started = time.monotonic()
        await again.open(form("Grace Hopper", email, "support"))
        iid = f"{again.conversation_id}-1"
        with pytest.raises(TimeoutError):
            await bob_offers.next("offer", timeout=WAIT_FOR_LAST_AGENT / 2)
        async with http.get(f"{server.base}/api/v1/interactions/{iid}", headers=bearer(sam)) as r:
            waiting = await r.json()
        assert waiting["state"] == "waiting", waiting
        last = waiting["trace"][-1]
        assert last["candidates"] == [], "bob is available but not asked"
        assert [(e["agent_id"], e["reason"]) for e in last["excluded"]] == [("alice", "presence")], last

        offer = await bob_offers.next("offer", timeout=WAIT_FOR_LAST_AGENT + 10)
        assert offer["interaction_id"] == iid
        assert time.monotonic() - started >= WAIT_FOR_LAST_AGENT - 0.5, "not before the queue's step"
        await again.call("end")
        await again.next("ended")
