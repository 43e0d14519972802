"""Chats honour an agent's capacity in the core: alice (3 chat units) gets exactly 3 of 5 waiting chats, and
the 4th as soon as she ends one."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.integration.chat.conftest import Customer, agent_sockets, form, make_available
from tests.integration.server.conftest import Server, login


async def test_given_five_waiting_chats_when_agent_with_capacity_3_is_available_then_3_then_the_4th_on_end(
    chat_server: Server, http: aiohttp.ClientSession
) -> None:
    server = chat_server
    await make_available(http, server, {"alice": "offline", "bob": "offline", "carol": "offline"})
    customers = [Customer() for _ in range(5)]
    alice_offers, alice_chat = await agent_sockets(server, await login(http, server, "alice"))
    try:
        for number, customer in enumerate(customers):
            await customer.connect(server)
            await customer.open(form(f"Customer {number}", topic="billing"))
        await make_available(http, server, {"alice": "available"})
        offered = [await alice_offers.next("offer") for _ in range(3)]
        for offer in offered:
            assert (await alice_offers.call("accept", {"interaction_id": offer["interaction_id"]}))["ok"]
        with_alice = [(await alice_chat.next("chat"))["conversation"]["id"] for _ in range(3)]
        first_three = [c.conversation_id for c in customers[:3]]
        assert sorted(with_alice) == sorted(first_three), "the 3 who waited longest, in any order"
        try:
            extra = await alice_offers.next("offer", timeout=2)
        except TimeoutError:
            extra = None
        assert extra is None, "never over capacity"

        assert (await alice_chat.call("end", {"conversation_id": with_alice[0]}))["ok"]
        fourth = await alice_offers.next("offer", timeout=10)
        assert fourth["interaction_id"].startswith(str(customers[3].conversation_id))
        position = await customers[4].call("resume", {"after": 0})
        assert position["conversation"]["state"] == "waiting"
    finally:
        await asyncio.gather(*(c.close() for c in customers))
        await alice_offers.close()
        await alice_chat.close()
        await make_available(http, server, {"alice": "offline"})
