"""Supervisors and live chats through `helpline serve` over real Socket.IO: a supervisor reads a chat as it
happens (the customer's typing too), whispers to the agent without the customer ever seeing it, sees the
help flag the agent raises, and takes the chat over: the agent is released into wrap-up and the customer
carries on with the supervisor. Each supervisor action is in the audit trail."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
import socketio
import yaml

from tests.integration.chat.conftest import Customer, agent_sockets, chat_config, form, make_available
from tests.integration.chat.test_restart import _restart
from tests.integration.server.conftest import Server, bearer, login, start_server, stop_server
from tests.integration.server.test_routing_api import Listener


@pytest.fixture(scope="module")
def monitor_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The chat demo with a 30 s wrap-up on the chat queue, so a released agent is seen in wrap-up."""
    tmp = tmp_path_factory.mktemp("monitor")
    path = chat_config(tmp)
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    for queue in config["queues"]:
        if queue["id"] == "web-chat":
            queue["wrap_up_seconds"] = 30
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    srv = start_server(tmp, config=path)
    yield srv
    assert srv.alive(), "the server died during the tests:\n" + srv.log_text()
    stop_server(srv)


async def _nothing(listener: Customer, name: str, text: str) -> None:
    """The customer's socket heard no `name` event with `text` (what it has heard so far)."""
    await asyncio.sleep(0.5)
    heard = []
    while not listener.events.empty():
        heard.append(listener.events.get_nowait())
    assert not [d for e, d in heard if e == name and d.get("text") == text], heard


async def test_given_live_chat_when_supervisor_monitors_whispers_and_takes_over_then_each_side_sees_its_part(
    monitor_server: Server, http: aiohttp.ClientSession
) -> None:
    server = monitor_server
    alice_token, sam_token = await login(http, server, "alice"), await login(http, server, "sam")
    await make_available(http, server, {"alice": "available", "bob": "offline", "carol": "offline"})
    alice_offers, alice_chat = await agent_sockets(server, alice_token)
    sam = Listener("/supervisor-chat")
    await sam.connect(server, sam_token)
    customer = Customer()
    try:
        assert isinstance((await sam.next("chats"))["chats"], list)
        await customer.connect(server)
        conversation = (await customer.open(form("Ada Lovelace")))["conversation"]["id"]
        offer = await alice_offers.next("offer")
        assert (await alice_offers.call("accept", {"interaction_id": offer["interaction_id"]}))["ok"]
        await alice_chat.next("chat")
        listed = await sam.next("chat", match={"id": conversation})
        assert listed["agent_id"] == "alice" and listed["help"] is False

        # monitor: the history so far, then messages and the customer's typing as they happen
        first = await customer.send("My router is down")
        watched = await sam.call("watch", {"conversation_id": conversation, "after": 0})
        assert watched["ok"], watched
        assert "My router is down" in [m["text"] for m in watched["messages"]]
        assert (await customer.call("typing", {"typing": True}))["ok"]
        typing = await sam.next("typing", match={"conversation_id": conversation, "by": "customer"})
        assert typing["typing"] is True
        await customer.send("It blinks red")
        seen = await sam.next("message", match={"text": "It blinks red"})
        assert seen["seq"] > first["stored"]["seq"]

        # whisper: the agent sees it, the customer never does (not live, not on resume, not in the transcript)
        whisper = await sam.call(
            "whisper", {"conversation_id": conversation, "client_id": "w-1", "text": "Ask for the model"}
        )
        assert whisper["ok"] and whisper["stored"]["visibility"] == "agents", whisper
        heard = await alice_chat.next("message", match={"text": "Ask for the model"})
        assert heard["sender"] == "supervisor" and heard["author_name"] == "Sam Patel"
        await _nothing(customer, "message", "Ask for the model")
        resumed = await customer.call("resume", {"after": 0})
        assert "Ask for the model" not in [m["text"] for m in resumed["messages"]]
        assert "Ask for the model" not in (await customer.call("transcript"))["text"]

        # help flag: the agent raises it, the supervisor's monitor shows it; lowering clears it
        raised = await alice_chat.call("help", {"conversation_id": conversation, "on": True})
        assert raised["ok"], raised
        assert (await sam.next("chat", match={"id": conversation, "help": True}))["agent_id"] == "alice"
        assert (await alice_chat.call("help", {"conversation_id": conversation, "on": False}))["ok"]
        await sam.next("chat", match={"id": conversation, "help": False})
        assert (await alice_chat.call("help", {"conversation_id": conversation, "on": True}))["ok"]
        await sam.next("chat", match={"id": conversation, "help": True})

        # take over: alice is released into wrap-up, the customer keeps chatting with sam
        taken = await sam.call("take_over", {"conversation_id": conversation})
        assert taken["ok"], taken
        assert taken["conversation"]["taken_by"] == "sam" and taken["conversation"]["help"] is False
        closed = await alice_chat.next("chat_closed", match={"conversation_id": conversation})
        assert closed["reason"] == "taken_over"
        ended = await alice_offers.next("ended", match={"interaction_id": offer["interaction_id"]})
        assert ended["data"]["reason"] == "taken_over", ended
        presence = await alice_offers.next("presence")
        assert presence["data"]["presence"]["kind"] == "wrap_up", presence
        joined = await customer.next("agent_joined")
        assert joined["agent_name"] == "Sam Patel"
        asked = (await customer.send("Are you still there?"))["stored"]["seq"]
        assert (await sam.next("message", match={"text": "Are you still there?"}))["sender"] == "customer"
        reply = await sam.call(
            "send", {"conversation_id": conversation, "client_id": "s-1", "text": "Yes, I am taking over"}
        )
        assert reply["ok"], reply
        said = await customer.next("message", where=lambda d: d.get("text") == "Yes, I am taking over")
        assert said["sender"] == "agent" and said["author_name"] == "Sam Patel"
        # read receipts both ways between the customer and the supervisor now holding the chat
        assert (await sam.call("read", {"conversation_id": conversation, "seq": asked}))["ok"]
        assert (await customer.next("read"))["seq"] == asked
        assert (await customer.call("read", {"seq": said["seq"]}))["ok"]
        assert (await sam.next("read", match={"conversation_id": conversation}))["seq"] == said["seq"]
        again = await alice_chat.call("send", {"conversation_id": conversation, "text": "me again"})
        assert again["ok"] is False, "the released agent can no longer write in the chat"

        assert (await customer.call("end"))["ok"]
        await sam.next("ended", match={"conversation_id": conversation})
        await sam.next("chat_ended", match={"conversation_id": conversation})

        async with http.get(f"{server.base}/api/v1/supervisor/audit", headers=bearer(sam_token)) as r:
            assert r.status == 200, await r.text()
            items = [i for i in (await r.json())["items"] if i["details"].get("target") == conversation]
        actions = sorted(i["action"] for i in items if i["by"] == "sam")
        assert actions == ["chat_monitor", "chat_take_over", "chat_whisper"], items
    finally:
        for socket in (alice_offers, alice_chat, sam):
            await socket.close()
        await customer.close()


async def test_given_agent_token_when_opening_supervisor_chat_then_refused(
    monitor_server: Server, http: aiohttp.ClientSession
) -> None:
    alice = Listener("/supervisor-chat")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await alice.connect(monitor_server, await login(http, monitor_server, "alice"))


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(tmp_path, config=chat_config(tmp_path))
    yield srv
    stop_server(srv)


async def test_given_chat_taken_over_when_gateway_restarts_then_supervisor_and_customer_carry_on(
    own_server: Server, http: aiohttp.ClientSession
) -> None:
    server = own_server
    await make_available(http, server, {"alice": "available", "bob": "offline", "carol": "offline"})
    offers, chats = await agent_sockets(server, await login(http, server, "alice"))
    sam = Listener("/supervisor-chat")
    await sam.connect(server, await login(http, server, "sam"))
    customer = Customer()
    try:
        await customer.connect(server)
        conversation = (await customer.open(form("Ada Lovelace")))["conversation"]["id"]
        offer = await offers.next("offer")
        assert (await offers.call("accept", {"interaction_id": offer["interaction_id"]}))["ok"]
        await chats.next("chat")
        assert (await sam.call("take_over", {"conversation_id": conversation}))["ok"]
        await customer.next("agent_joined", where=lambda d: d.get("agent_name") == "Sam Patel")
        for socket in (offers, chats, sam):
            await socket.close()

        _restart(server)
        await customer.reconnect(server)
        sam = Listener("/supervisor-chat")
        await sam.connect(server, await login(http, server, "sam"))
        listed = {c["id"]: c for c in (await sam.next("chats"))["chats"]}
        assert listed[conversation]["taken_by"] == "sam", listed
        assert (await sam.call("watch", {"conversation_id": conversation, "after": 0}))["ok"]
        assert (await customer.send("Still there after the restart?"))["ok"]
        await sam.next("message", match={"text": "Still there after the restart?"})
        reply = {"conversation_id": conversation, "client_id": "s-2", "text": "Yes, still me"}
        assert (await sam.call("send", reply))["ok"]
        said = await customer.next("message", where=lambda d: d.get("text") == "Yes, still me")
        assert said["author_name"] == "Sam Patel"
    finally:
        await sam.close()
        await customer.close()
