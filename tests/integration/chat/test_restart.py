"""A gateway killed mid-chat loses nothing: after the restart both sides reconnect, ask for what they missed
after the last seq they hold, carry on, and each has seen every message exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.integration.chat.conftest import Customer, chat_config, form, make_available
from tests.integration.server.conftest import Server, _wait_healthy, bearer, login, start_server, stop_server
from tests.integration.server.test_routing_api import Listener


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(tmp_path, config=chat_config(tmp_path))
    yield srv
    stop_server(srv)


def _restart(server: Server) -> None:
    """SIGKILL, then the same command line: same port, same data directory."""
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()
    with server.log.open("ab") as out:
        server.process = subprocess.Popen(
            server.process.args, stdout=out, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[3]
        )
    _wait_healthy(server)


class _Log:
    """One side's view: every message event and every history answer, by seq."""

    def __init__(self) -> None:
        self.seen: Counter[int] = Counter()
        self.text: dict[int, str] = {}

    def add(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            self.seen[message["seq"]] += 1
            self.text[message["seq"]] = message["text"]

    @property
    def last(self) -> int:
        return max(self.seen, default=0)


async def _until(events: Any, log: _Log, client_id: str) -> None:
    """Log every message heard until the one sent with `client_id`."""

    async def wait() -> None:
        while True:
            name, data = await events.get()
            if name == "message":
                log.add([data])
                if data.get("client_id") == client_id:
                    return

    await asyncio.wait_for(wait(), 15)


async def test_given_chat_under_way_when_gateway_killed_and_restarted_then_both_sides_see_every_message_once(
    own_server: Server, http: aiohttp.ClientSession
) -> None:
    server = own_server
    await make_available(http, server, {"alice": "available"})
    token = await login(http, server, "alice")
    offers, agent = Listener("/agent"), Listener("/agent-chat")
    customer, customer_log, agent_log = Customer(), _Log(), _Log()
    try:
        await offers.connect(server, token)
        await agent.connect(server, token)
        await customer.connect(server)
        await customer.open(form("Rita Restart"))
        conversation = customer.conversation_id
        offer = await offers.next("offer")
        assert (await offers.call("accept", {"interaction_id": offer["interaction_id"]}))["ok"]
        agent_log.add((await agent.next("chat"))["messages"])
        for n in range(3):
            said = await customer.send(f"before {n}", client_id=f"c{n}")
            assert said["ok"], said
            customer_log.add([said["stored"]])  # as the widget does: the sending tab shows the ack's message
            sent = await agent.call(
                "send", {"conversation_id": conversation, "client_id": f"a{n}", "text": f"reply {n}"}
            )
            assert sent["ok"], sent
        await _until(agent.events, agent_log, "a2")
        await _until(customer.events, customer_log, "a2")
        await offers.close()
        await agent.close()
        await customer.client.disconnect()

        _restart(server)

        await customer.reconnect(server)
        customer_log.add((await customer.call("resume", {"after": customer_log.last}))["messages"])
        agent, offers = Listener("/agent-chat"), Listener("/agent")
        await offers.connect(server, token)
        await agent.connect(server, token)
        chats = await agent.next("chats")
        assert [c["id"] for c in chats["chats"]] == [conversation], "the agent's chat survives the restart"
        history = await agent.call("history", {"conversation_id": conversation, "after": agent_log.last})
        agent_log.add(history["messages"])

        for n in range(2):
            said = await customer.send(f"after {n}", client_id=f"d{n}")
            assert said["ok"], said
            customer_log.add([said["stored"]])
            sent = await agent.call(
                "send", {"conversation_id": conversation, "client_id": f"b{n}", "text": f"ack {n}"}
            )
            assert sent["ok"], sent
        await _until(customer.events, customer_log, "b1")
        await _until(agent.events, agent_log, "b1")
    finally:
        await customer.close()
        await offers.close()
        await agent.close()

    sam = await login(http, server, "sam")
    async with http.get(f"{server.base}/api/v1/chats/{conversation}/messages", headers=bearer(sam)) as r:
        stored = {m["seq"]: m["text"] for m in (await r.json())["items"]}
    assert list(stored) == list(range(1, len(stored) + 1)), "seqs without gaps"
    for side in (customer_log, agent_log):
        assert side.text == stored, "every message seen"
        assert set(side.seen.values()) == {1}, f"each exactly once: {side.seen}"
    texts = list(stored.values())
    for expected in ["before 0", "reply 2", "after 0", "ack 1"]:
        assert expected in texts


async def test_given_read_marks_and_a_raised_help_flag_when_gateway_killed_and_restarted_then_all_still_show(
    own_server: Server, http: aiohttp.ClientSession
) -> None:
    server = own_server
    await make_available(http, server, {"alice": "available"})
    token, sam_token = await login(http, server, "alice"), await login(http, server, "sam")
    offers, agent = Listener("/agent"), Listener("/agent-chat")
    customer = Customer()
    try:
        await offers.connect(server, token)
        await agent.connect(server, token)
        await customer.connect(server)
        await customer.open(form("Rhea Read"))
        conversation = customer.conversation_id
        offer = await offers.next("offer")
        assert (await offers.call("accept", {"interaction_id": offer["interaction_id"]}))["ok"]
        await agent.next("chat")
        asked = (await customer.send("Is my order on its way?"))["stored"]["seq"]
        sent = await agent.call("send", {"conversation_id": conversation, "client_id": "a1", "text": "Yes"})
        answered = sent["stored"]["seq"]
        assert (await agent.call("read", {"conversation_id": conversation, "seq": asked}))["ok"]
        assert (await customer.call("read", {"seq": answered}))["ok"]
        await agent.next("read", match={"conversation_id": conversation, "seq": answered})
        assert (await agent.call("help", {"conversation_id": conversation, "on": True}))["ok"]
    finally:
        await customer.close()
        await offers.close()
        await agent.close()

    _restart(server)

    agent, sam = Listener("/agent-chat"), Listener("/supervisor-chat")
    try:
        await customer.reconnect(server)
        resumed = await customer.call("resume", {"after": 0})
        await agent.connect(server, token)
        await sam.connect(server, sam_token)
        chats = (await agent.next("chats"))["chats"]
        monitored = (await sam.next("chats"))["chats"]
    finally:
        await customer.close()
        await agent.close()
        await sam.close()

    assert [c["help"] for c in monitored if c["id"] == conversation] == [True], "the help flag stays raised"
    assert resumed["conversation"]["read_by_agent"] == asked, "the customer's widget shows alice read it"
    [chat] = [c for c in chats if c["id"] == conversation]
    assert chat["read_by_customer"] == answered, "alice's panel shows the customer read her answer"
    assert chat["read_by_agent"] == asked, "alice's unread count starts after what she read"
