"""The routing core through a running server: REST creates work, sockets offer it, agents accept or reject."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import socketio

from tests.integration.server.conftest import Server, bearer, login


class Listener:
    """A Socket.IO client that records every event it hears."""

    def __init__(self, namespace: str, *, events: bool = False) -> None:
        self.namespace, self.raw_events = namespace, events  # `events`: a supervisor asking for every event
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

        async def record(event: str, *args: Any) -> None:
            await self.events.put((event, args[0] if args else {}))

        self.client.on("*", record, namespace=namespace)

    async def connect(self, server: Server, token: str | None) -> None:
        await self.client.connect(
            server.base,
            namespaces=[self.namespace],
            auth={"token": token, "events": self.raw_events} if token else None,
            transports=["websocket"],
            wait_timeout=10,
        )

    async def next(
        self, name: str, *, match: dict[str, Any] | None = None, timeout: float = 10
    ) -> dict[str, Any]:
        async def wait() -> dict[str, Any]:
            while True:
                event, data = await self.events.get()
                if event == name and all(data.get(k) == v for k, v in (match or {}).items()):
                    return data

        return await asyncio.wait_for(wait(), timeout)

    async def call(self, event: str, data: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self.client.call(event, data, namespace=self.namespace, timeout=10)
        return result

    async def close(self) -> None:
        await self.client.disconnect()


@pytest.fixture
async def tokens(server: Server, http: aiohttp.ClientSession) -> dict[str, str]:
    names = ("alice", "bob", "carol", "sam", "ada")
    result = {n: await login(http, server, n) for n in names}
    result["crm"] = await login(http, server, "crm", "crm-demo-secret")
    return result


@pytest.fixture
async def listeners() -> AsyncIterator[list[Listener]]:
    made: list[Listener] = []
    yield made
    for listener in made:
        await listener.close()


async def presence(
    http: aiohttp.ClientSession, server: Server, token: str, agent: str, state: str, reason: str | None = None
) -> aiohttp.ClientResponse:
    body: dict[str, Any] = {"state": state}
    if reason:
        body["reason"] = reason
    async with http.put(
        f"{server.base}/api/v1/agents/{agent}/presence", json=body, headers=bearer(token)
    ) as r:
        await r.read()
        return r


async def create(
    http: aiohttp.ClientSession, server: Server, token: str, **body: Any
) -> tuple[int, dict[str, Any]]:
    async with http.post(server.base + "/api/v1/interactions", json=body, headers=bearer(token)) as r:
        return r.status, await r.json()


async def all_offline(http: aiohttp.ClientSession, server: Server, sup: str) -> None:
    for agent in ("alice", "bob", "carol"):
        assert (await presence(http, server, sup, agent, "offline")).status == 200


async def test_given_available_agent_when_chat_created_then_agent_socket_gets_offer_and_accept_assigns(
    server: Server, http: aiohttp.ClientSession, tokens: dict[str, str], listeners: list[Listener]
) -> None:
    await all_offline(http, server, tokens["sam"])
    alice, sup = Listener("/agent"), Listener("/supervisor", events=True)
    listeners += [alice, sup]
    await alice.connect(server, tokens["alice"])
    await sup.connect(server, tokens["sam"])
    assert (await presence(http, server, tokens["alice"], "alice", "available")).status == 200

    status, created = await create(
        http,
        server,
        tokens["crm"],
        channel="chat",
        queue="web-chat",
        attributes={"topic": "refund"},
        customer_ref="cust-42",
    )
    assert status == 201, created
    offer = await alice.next("offer", match={"interaction_id": created["id"]})
    assert offer["interaction"]["attributes"] == {"topic": "refund"}
    await sup.next("event", match={"type": "offered", "interaction_id": created["id"], "agent_id": "alice"})

    ack = await alice.call("accept", {"interaction_id": created["id"]})
    assert ack["ok"] is True
    await alice.next("assigned", match={"interaction_id": created["id"]})

    async with http.get(
        f"{server.base}/api/v1/interactions/{created['id']}", headers=bearer(tokens["sam"])
    ) as r:
        detail = await r.json()
    assert detail["state"] == "assigned"
    assert detail["agent_id"] == "alice"
    assert detail["customer_ref"] == "cust-42"
    assert detail["trace"], "the decision trace is returned"
    assert any("alice" in str(decision) for decision in detail["trace"])

    async with http.post(
        f"{server.base}/api/v1/interactions/{created['id']}/end", json={}, headers=bearer(tokens["alice"])
    ) as r:
        assert r.status == 200, await r.text()
    # the handling is over once the wrap-up is: alice ends hers early
    assert (await presence(http, server, tokens["alice"], "alice", "available")).status == 200
    async with http.get(
        f"{server.base}/api/v1/stats/queues?queue=web-chat", headers=bearer(tokens["sam"])
    ) as r:
        (stats,) = (await r.json())["items"]
    assert stats["answered"] >= 1
    assert stats["handled"] >= 1
    assert stats["aht_seconds"] is not None


async def test_given_offer_when_agent_rejects_then_next_agent_gets_it(
    server: Server, http: aiohttp.ClientSession, tokens: dict[str, str], listeners: list[Listener]
) -> None:
    await all_offline(http, server, tokens["sam"])
    alice, bob = Listener("/agent"), Listener("/agent")
    listeners += [alice, bob]
    await alice.connect(server, tokens["alice"])
    await bob.connect(server, tokens["bob"])
    await presence(http, server, tokens["alice"], "alice", "available")
    await presence(http, server, tokens["bob"], "bob", "available")

    status, created = await create(http, server, tokens["ada"], channel="chat", queue="web-chat")
    assert status == 201
    iid = created["id"]
    first = await asyncio.wait_for(_first_offer([alice, bob], iid), 10)
    other = bob if first is alice else alice
    assert (await first.call("reject", {"interaction_id": iid}))["ok"] is True
    await other.next("offer", match={"interaction_id": iid})


async def _first_offer(candidates: list[Listener], iid: str) -> Listener:
    tasks = {asyncio.ensure_future(c.next("offer", match={"interaction_id": iid})): c for c in candidates}
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return tasks[done.pop()]


async def test_given_waiting_chat_when_agent_becomes_available_over_rest_then_offered(
    server: Server, http: aiohttp.ClientSession, tokens: dict[str, str], listeners: list[Listener]
) -> None:
    await all_offline(http, server, tokens["sam"])
    carol = Listener("/agent")
    listeners.append(carol)
    await carol.connect(server, tokens["carol"])
    status, created = await create(http, server, tokens["crm"], channel="chat", queue="web-chat")
    assert status == 201
    assert created["state"] == "waiting"
    assert (await presence(http, server, tokens["sam"], "carol", "available")).status == 200
    offer = await carol.next("offer", match={"interaction_id": created["id"]})
    assert offer["agent_id"] == "carol"


async def test_given_agent_when_touching_others_then_each_refusal_is_403(
    server: Server, http: aiohttp.ClientSession, tokens: dict[str, str]
) -> None:
    response = await presence(http, server, tokens["alice"], "bob", "available")
    assert response.status == 403
    status, body = await create(http, server, tokens["alice"], channel="chat", queue="web-chat")
    assert (status, body["error_id"]) == (403, "forbidden")
    status, body = await create(http, server, tokens["sam"], channel="chat", queue="web-chat")
    assert (status, body["error_id"]) == (403, "forbidden")
    async with http.get(server.base + "/api/v1/agents", headers=bearer(tokens["alice"])) as r:
        assert [a["id"] for a in (await r.json())["items"]] == ["alice"]
    async with http.get(server.base + "/api/v1/agents", headers=bearer(tokens["sam"])) as r:
        assert {a["id"] for a in (await r.json())["items"]} == {"alice", "bob", "carol"}


async def test_given_supervisor_when_changing_agent_presence_then_allowed_and_visible(
    server: Server, http: aiohttp.ClientSession, tokens: dict[str, str], listeners: list[Listener]
) -> None:
    sup, bob = Listener("/supervisor", events=True), Listener("/agent")
    listeners += [sup, bob]
    await sup.connect(server, tokens["sam"])
    await bob.connect(server, tokens["bob"])
    assert (await presence(http, server, tokens["sam"], "bob", "not_ready", "coaching")).status == 200
    event = await sup.next("event", match={"type": "presence_changed", "agent_id": "bob"})
    assert event["data"]["presence"] == {"kind": "not_ready", "reason": "coaching", "until": None}
    pushed = await bob.next("presence")
    assert pushed["agent_id"] == "bob"


async def test_given_a_console_socket_not_asking_for_events_when_presence_changes_then_only_board_changes(
    server: Server, http: aiohttp.ClientSession, tokens: dict[str, str], listeners: list[Listener]
) -> None:
    plain = Listener("/supervisor")  # what the console connects as
    listeners.append(plain)
    await plain.connect(server, tokens["sam"])
    await plain.next("board")
    assert (await presence(http, server, tokens["sam"], "bob", "not_ready", "huddle")).status == 200
    heard: list[str] = []
    async with asyncio.timeout(10):
        while True:
            name, data = await plain.events.get()
            heard.append(name)
            bob = [a for a in data.get("agents", []) if a["id"] == "bob"] if name == "board_changes" else []
            if bob and (bob[0]["state"], bob[0]["reason"]) == ("not_ready", "huddle"):
                break
    assert "event" not in heard  # raw routing events only go to sockets that connect with `events: true`


async def test_given_agent_socket_when_other_agents_get_offers_then_it_hears_nothing_of_them(
    server: Server, http: aiohttp.ClientSession, tokens: dict[str, str], listeners: list[Listener]
) -> None:
    await all_offline(http, server, tokens["sam"])
    alice, carol = Listener("/agent"), Listener("/agent")
    listeners += [alice, carol]
    await alice.connect(server, tokens["alice"])
    await carol.connect(server, tokens["carol"])
    await presence(http, server, tokens["carol"], "carol", "available")
    status, created = await create(http, server, tokens["crm"], channel="chat", queue="web-chat")
    assert status == 201
    await carol.next("offer", match={"interaction_id": created["id"]})
    with pytest.raises(TimeoutError):
        await alice.next("offer", match={"interaction_id": created["id"]}, timeout=1.0)


async def test_given_bad_sockets_when_connecting_then_refused(server: Server, tokens: dict[str, str]) -> None:
    for namespace, token in (
        ("/agent", None),
        ("/agent", "garbage"),
        ("/agent", tokens["sam"]),
        ("/supervisor", tokens["alice"]),
    ):
        listener = Listener(namespace)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await listener.connect(server, token)
        await listener.close()


async def test_given_bad_interaction_requests_when_posted_then_clear_errors_and_nothing_created(
    server: Server, http: aiohttp.ClientSession, tokens: dict[str, str]
) -> None:
    async with http.get(server.base + "/api/v1/interactions?limit=500", headers=bearer(tokens["sam"])) as r:
        before = len((await r.json())["items"])
    cases = [
        ({"channel": "fax", "queue": "web-chat"}, "invalid_body", "channel"),
        ({"channel": "chat", "queue": "nope"}, "unknown_queue", None),
        ({"channel": "chat", "queue": "web-chat", "only_agent": "ghost"}, "unknown_agent", None),
        ({"channel": "chat", "queue": "web-chat", "priority": "high"}, "invalid_body", "priority"),
        ({"channel": "chat", "queue": "web-chat", "colour": "red"}, "invalid_body", "colour"),
        (
            {"channel": "chat", "queue": "web-chat", "skills": [{"skill": "english", "min_level": 11}]},
            "invalid_body",
            "skills[0].min_level",
        ),
    ]
    for body, error_id, field in cases:
        status, answer = await create(http, server, tokens["crm"], **body)
        assert status == 400, answer
        assert answer["error_id"] == error_id
        if field:
            assert field in {e["field"] for e in answer["details"]["errors"]}
    async with http.get(server.base + "/api/v1/interactions?limit=500", headers=bearer(tokens["sam"])) as r:
        assert len((await r.json())["items"]) == before


async def test_given_alice_idle_longest_when_a_chat_only_for_bob_arrives_then_bob_alone_is_offered_it(
    server: Server, http: aiohttp.ClientSession, tokens: dict[str, str], listeners: list[Listener]
) -> None:
    await all_offline(http, server, tokens["sam"])
    alice, bob = Listener("/agent"), Listener("/agent")
    listeners.extend((alice, bob))
    await alice.connect(server, tokens["alice"])
    await bob.connect(server, tokens["bob"])
    await presence(http, server, tokens["alice"], "alice", "available")
    await presence(http, server, tokens["bob"], "bob", "available")

    status, created = await create(
        http, server, tokens["crm"], channel="chat", queue="web-chat", only_agent="bob"
    )

    assert status == 201, created
    offer = await bob.next("offer", match={"interaction_id": created["id"]})
    assert offer["interaction_id"] == created["id"]
    async with http.get(
        f"{server.base}/api/v1/interactions/{created['id']}", headers=bearer(tokens["sam"])
    ) as r:
        detail = await r.json()
    assert (detail["state"], detail["agent_id"]) == ("offered", "bob")
    assert "only_agent" in str(detail["trace"]) and "not_the_agent" in str(detail["trace"])
    while not alice.events.empty():
        event, data = alice.events.get_nowait()
        assert data.get("interaction_id") != created["id"], (event, data)


async def test_given_interaction_assigned_to_alice_when_bob_reads_it_then_403_and_lists_show_only_own_work(
    server: Server, http: aiohttp.ClientSession, tokens: dict[str, str], listeners: list[Listener]
) -> None:
    await all_offline(http, server, tokens["sam"])
    alice = Listener("/agent")
    listeners.append(alice)
    await alice.connect(server, tokens["alice"])
    await presence(http, server, tokens["alice"], "alice", "available")
    status, created = await create(http, server, tokens["crm"], channel="chat", queue="web-chat")
    assert status == 201
    await alice.next("offer", match={"interaction_id": created["id"]})
    assert (await alice.call("accept", {"interaction_id": created["id"]}))["ok"] is True

    url = f"{server.base}/api/v1/interactions/{created['id']}"
    async with http.get(url, headers=bearer(tokens["bob"])) as r:
        assert r.status == 403
        assert (await r.json())["error_id"] == "not_your_interaction"
    async with http.post(url + "/end", json={}, headers=bearer(tokens["bob"])) as r:
        assert r.status == 403
    async with http.get(url, headers=bearer(tokens["alice"])) as r:
        assert r.status == 200
    async with http.get(server.base + "/api/v1/interactions?limit=500", headers=bearer(tokens["bob"])) as r:
        assert all(item["agent_id"] == "bob" for item in (await r.json())["items"])
    async with http.get(server.base + "/api/v1/interactions?limit=500", headers=bearer(tokens["alice"])) as r:
        assert created["id"] in {item["id"] for item in (await r.json())["items"]}
    ack = await alice.call("accept", {"interaction_id": created["id"]})
    assert ack["ok"] is False, "accepting twice is refused: offers are accepted exactly once"
    async with http.post(url + "/end", json={}, headers=bearer(tokens["alice"])) as r:
        assert r.status == 200
    async with http.get(url, headers=bearer(tokens["alice"])) as r:
        assert r.status == 200, "an agent still reads its own interaction after it ended"
        assert (await r.json())["agent_id"] == "alice"
    async with http.get(url, headers=bearer(tokens["bob"])) as r:
        assert r.status == 403
