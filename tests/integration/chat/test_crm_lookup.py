"""A chat's customer is looked up in the CRM once, through `helpline serve` over real Socket.IO with an
external CRM (a fake REST CRM on loopback): with sticky routing on and the CRM not answering, opening a chat
waits for the lookup timeout once, not once for the chat and again for routing; a transfer carries the
customer context to the next leg as a call's does, without asking the CRM again; and the transcript of a
chat with a customer the CRM knows reaches it in the activity (outbox) and the signed webhook."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
import yaml

from tests.integration.chat.conftest import Customer, agent_sockets, chat_config, form, make_available
from tests.integration.cti_adapter.fake_crm import FakeCrm
from tests.integration.server.conftest import Server, login, start_server, stop_server

LOOKUP_TIMEOUT = 4.0  # twice this tells a double wait from opening a chat on a loaded machine


@pytest.fixture(scope="module")
def crm_port() -> int:
    return FakeCrm().port


@pytest.fixture(scope="module")
def crm_chat_server(tmp_path_factory: pytest.TempPathFactory, crm_port: int) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("chat-crm")
    path = chat_config(tmp, sticky_agent={"enabled": True})
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["crm"] = {
        "kind": "rest",
        "base_url": f"http://127.0.0.1:{crm_port}",
        "lookup_timeout_seconds": LOOKUP_TIMEOUT,
        "webhook_url": f"http://127.0.0.1:{crm_port}/hooks",
        "webhook_secret": FakeCrm.webhook_secret,
    }
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    srv = start_server(tmp, config=path)
    yield srv
    assert srv.alive(), "the server died during the tests:\n" + srv.log_text()
    stop_server(srv)


@pytest.fixture
async def crm(crm_port: int) -> AsyncIterator[FakeCrm]:
    fake = FakeCrm(port=crm_port)
    await fake.start()
    yield fake
    await fake.stop()


def _searches(crm: FakeCrm) -> int:
    return crm.paths.count("/customers")


async def test_given_sticky_routing_and_a_crm_that_does_not_answer_when_a_chat_opens_then_it_waits_one_lookup(
    crm_chat_server: Server, crm: FakeCrm, http: aiohttp.ClientSession
) -> None:
    server = crm_chat_server
    crm.mode, crm.slow_seconds = "slow", 30.0
    await make_available(http, server, {"alice": "available", "bob": "offline", "carol": "offline"})
    offers, chats = await agent_sockets(server, await login(http, server, "alice"))
    customer = Customer()
    try:
        await customer.connect(server)
        started = time.monotonic()
        opened = await customer.open(form("Nora Noanswer"))
        waited = time.monotonic() - started
        offer = await offers.next("offer")
        assert (await customer.call("end"))["ok"]
    finally:
        await customer.close()
        await offers.close()
        await chats.close()

    assert offer["interaction_id"] == f"{opened['conversation']['id']}-1"
    assert offer["pop"]["crm_unavailable"] is True, "the pop says the CRM did not answer"
    assert _searches(crm) == 1, f"the CRM was asked {_searches(crm)} times: {crm.paths}"
    assert waited < 2 * LOOKUP_TIMEOUT, f"opening the chat took {waited:.2f} s: the lookup timeout twice"


async def test_given_a_chat_whose_customer_was_looked_up_when_transferred_then_the_crm_is_not_asked_again(
    crm_chat_server: Server, crm: FakeCrm, http: aiohttp.ClientSession
) -> None:
    server = crm_chat_server
    await make_available(http, server, {"alice": "available", "bob": "offline", "carol": "offline"})
    alice_offers, alice_chat = await agent_sockets(server, await login(http, server, "alice"))
    bob_offers, bob_chat = await agent_sockets(server, await login(http, server, "bob"))
    customer = Customer()
    try:
        await customer.connect(server)
        await customer.open(form("Tess Transfer"))
        conversation = customer.conversation_id
        offer = await alice_offers.next("offer")
        assert (await alice_offers.call("accept", {"interaction_id": offer["interaction_id"]}))["ok"]
        await alice_chat.next("chat")
        asked = _searches(crm)

        await make_available(http, server, {"bob": "available"})
        moved = await alice_chat.call("transfer", {"conversation_id": conversation, "to": "agent:bob"})
        assert moved["ok"], moved
        handed = await bob_offers.next("offer")
    finally:
        await customer.close()
        for listener in (alice_offers, alice_chat, bob_offers, bob_chat):
            await listener.close()

    assert handed["interaction_id"] == f"{conversation}-2"
    assert asked >= 1, "the chat's customer was looked up when it opened"
    assert _searches(crm) == asked, f"the transfer asked the CRM again: {crm.paths}"


async def _delivered(crm: FakeCrm, interaction_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The activity the CRM was sent for `interaction_id` and its `case.activity_logged` webhook."""
    async with asyncio.timeout(20):
        while True:
            logged = [
                a for found in crm.activities.values() for a in found if a["interaction_id"] == interaction_id
            ]
            hooks = [
                h["data"]["activity"]
                for h in crm.webhooks
                if h["type"] == "case.activity_logged"
                and h["data"]["activity"]["interaction_id"] == interaction_id
            ]
            if logged and hooks:
                return logged[0], hooks[0]
            await asyncio.sleep(0.1)


async def test_given_a_customer_the_crm_knows_when_their_chat_ends_then_its_transcript_reaches_the_crm(
    crm_chat_server: Server, crm: FakeCrm, http: aiohttp.ClientSession
) -> None:
    server = crm_chat_server
    email = f"eve{uuid.uuid4().hex[:8]}@example.com"
    crm.add_customer("eve", "Eve External", "+442079460111", email=email)
    await make_available(http, server, {"alice": "available", "bob": "offline", "carol": "offline"})
    offers, chats = await agent_sockets(server, await login(http, server, "alice"))
    customer = Customer()
    try:
        await customer.connect(server)
        await customer.open(form("Eve External", email.upper()))
        conversation = customer.conversation_id
        offer = await offers.next("offer")
        assert (await offers.call("accept", {"interaction_id": offer["interaction_id"]}))["ok"]
        await chats.next("chat")
        assert (await customer.send("My invoice is wrong"))["ok"]
        done = {"conversation_id": conversation, "disposition": "resolved", "notes": "Refunded"}
        assert (await chats.call("end", done))["ok"]
        await customer.next("ended")
    finally:
        await customer.close()
        await offers.close()
        await chats.close()

    activity, hooked = await _delivered(crm, offer["interaction_id"])
    for sent in (activity, hooked):
        assert sent["transcript_url"] == f"/api/v1/chats/{conversation}/transcript"
        assert "Eve External: My invoice is wrong" in sent["transcript"]
        assert "Agents: Alice Martin" in sent["transcript"] and "Ended: " in sent["transcript"]
        assert sent["disposition"] == "resolved" and sent["channel"] == "chat"
    assert crm.bad_signatures == 0
