"""A web chat through `helpline serve` over real Socket.IO: the form becomes a routed chat with a screen pop,
messages travel both ways in order and are stored before they are acknowledged, a reload resumes from the
visitor token without duplicates, a transfer carries the history, and the transcript lands on the case."""

from __future__ import annotations

import uuid

import aiohttp

from tests.integration.chat.conftest import Customer, agent_sockets, form, make_available
from tests.integration.server.conftest import Server, bearer, login


async def _known_customer(http: aiohttp.ClientSession, server: Server) -> str:
    crm = await login(http, server, "crm", "crm-demo-secret")
    email = f"grace{uuid.uuid4().hex[:8]}@example.com"
    body = {"name": "Grace Hopper", "email": email, "phone": f"+44 20 7946 {uuid.uuid4().int % 10000:04d}"}
    async with http.post(server.base + "/api/v1/customers", json=body, headers=bearer(crm)) as r:
        assert r.status == 201, await r.text()
    return email


async def test_given_known_customer_when_chatting_then_every_message_once_and_transcript_on_case(
    chat_server: Server, http: aiohttp.ClientSession
) -> None:
    server = chat_server
    email = await _known_customer(http, server)
    alice_token, bob_token = await login(http, server, "alice"), await login(http, server, "bob")
    await make_available(http, server, {"alice": "available", "bob": "offline", "carol": "offline"})
    alice_offers, alice_chat = await agent_sockets(server, alice_token)
    bob_offers, bob_chat = await agent_sockets(server, bob_token)
    customer = Customer()
    try:
        await customer.connect(server)
        opened = await customer.open(form("Grace Hopper", email, "support"))
        conversation = opened["conversation"]["id"]
        offer = await alice_offers.next("offer")
        pop = offer["pop"]
        if pop is None or pop["case"] is None:
            # the CRM filed the case after the offer went out: the complete pop follows as its own event
            pop = (await alice_offers.next("pop", match={"interaction_id": offer["interaction_id"]}))["pop"]
        assert pop["customer"]["name"] == "Grace Hopper"
        assert (await alice_offers.call("accept", {"interaction_id": offer["interaction_id"]}))["ok"]

        chat = await alice_chat.next("chat")
        assert chat["conversation"]["id"] == conversation
        assert chat["conversation"]["form"]["email"] == email
        joined = await customer.next("agent_joined")
        assert joined["agent_name"] == "Alice Martin"

        first = await customer.send("Hello, my router is down", client_id="c-1")
        assert first["ok"] and first["stored"]["seq"] >= 1
        again = await customer.send("Hello, my router is down", client_id="c-1")
        assert again["stored"]["seq"] == first["stored"]["seq"], "a resend is the same message"
        heard = await alice_chat.next("message", match={"sender": "customer"})
        assert heard["text"] == "Hello, my router is down"

        greeting = await alice_chat.call(
            "quick_text", {"conversation_id": conversation, "shortcut": "/greet"}
        )
        assert greeting["text"] == "Hello Grace, I'm Alice Martin. How can I help?"
        replies = [greeting["text"], "Let me check", "Please restart it"]
        for number, text in enumerate(replies):
            sent = await alice_chat.call(
                "send", {"conversation_id": conversation, "client_id": f"a-{number}", "text": text}
            )
            assert sent["ok"], sent
        got = [
            (await customer.next("message", where=lambda m: m["sender"] == "agent"))["text"] for _ in replies
        ]
        assert got == replies

        # a reload: a new connection with the token, asking for everything after the first message
        await customer.reconnect(server)
        resumed = await customer.call("resume", {"after": first["stored"]["seq"]})
        assert resumed["ok"], resumed
        texts = [m["text"] for m in resumed["messages"] if m["sender"] != "system"]
        assert texts == replies, "everything after seq N, once, in order"
        seqs = [m["seq"] for m in resumed["messages"]]
        assert seqs == sorted(set(seqs))
        full = await customer.call("resume", {"after": 0})
        assert [m["text"] for m in full["messages"] if m["sender"] == "customer"] == [
            "Hello, my router is down"
        ]

        wrong = await alice_chat.call("transfer", {"conversation_id": conversation, "to": "queue:billing"})
        assert (wrong["ok"], wrong["error_id"]) == (False, "bad_message"), "billing takes calls, not chats"
        assert "web-chat" in wrong["details"]["queues"]

        # transfer to bob, with a note only agents see; alice's help flag does not follow the chat to him
        assert (await alice_chat.call("help", {"conversation_id": conversation, "on": True}))["ok"]
        await make_available(http, server, {"bob": "available"})
        moved = await alice_chat.call(
            "transfer", {"conversation_id": conversation, "to": "agent:bob", "note": "Router model X200"}
        )
        assert moved["ok"], moved
        closed = await alice_chat.next("chat_closed")
        assert closed["conversation_id"] == conversation
        bob_offer = await bob_offers.next("offer")
        assert (await bob_offers.call("accept", {"interaction_id": bob_offer["interaction_id"]}))["ok"]
        handed = await bob_chat.next("chat")
        assert handed["conversation"]["help"] is False
        history = [
            (m["sender"], m["text"], m["visibility"]) for m in handed["messages"] if m["sender"] != "system"
        ]
        assert history == [
            ("customer", "Hello, my router is down", "all"),
            *[("agent", text, "all") for text in replies],
            ("agent", "Router model X200", "agents"),
        ]
        seen = await customer.call("resume", {"after": 0})
        assert "Router model X200" not in [m["text"] for m in seen["messages"]], "a whisper stays with agents"
        assert await customer.next("agent_joined", where=lambda j: j["agent_name"] == "Bob Okafor")

        ended = await bob_chat.call(
            "end", {"conversation_id": conversation, "disposition": "resolved", "notes": "Restarted"}
        )
        assert ended["ok"], ended
        over = await customer.next("ended")
        assert over["ended_by"] == "agent"
        transcript_url = over["transcript_url"]
    finally:
        await customer.close()
        for listener in (alice_offers, alice_chat, bob_offers, bob_chat):
            await listener.close()

    sam = await login(http, server, "sam")
    async with http.get(server.base + transcript_url, headers=bearer(sam)) as r:
        assert r.status == 200, await r.text()
        transcript = await r.text()
    assert "Customer: Grace Hopper" in transcript
    assert "Agents: Alice Martin, Bob Okafor" in transcript
    assert "by the agent" in transcript
    assert "Router model X200" not in transcript
    assert transcript.index("Hello, my router is down") < transcript.index("Please restart it")

    case_id = pop["case"]["id"]
    async with http.get(f"{server.base}/api/v1/cases/{case_id}/activities", headers=bearer(sam)) as r:
        body = await r.json()
    items = body["items"] if isinstance(body, dict) else body
    chats = [a for a in items if a.get("channel") == "chat" and a.get("transcript_url") == transcript_url]
    ended = [a for a in chats if a.get("agent_id") == "bob" and a.get("disposition") == "resolved"]
    assert ended, items
    text = ended[0]["transcript"]
    assert "Customer: Grace Hopper" in text and "by the agent" in text, (
        "the text is on the built-in CRM's activity"
    )
    assert text.index("Hello, my router is down") < text.index("Please restart it")
    assert "Router model X200" not in text


async def test_given_entry_closed_when_form_sent_then_offline_message_opens_a_case(
    chat_server: Server, http: aiohttp.ClientSession
) -> None:
    server = chat_server
    email = await _known_customer(http, server)
    customer = Customer()
    try:
        await customer.connect(server)
        form_answer = await customer.call("form", {"entry": "closed"})
        assert form_answer["open"] is False
        sent = await customer.call(
            "open",
            {
                "entry": "closed",
                "form": {"name": "Grace", "email": email},
                "offline_message": "Call me <b>back</b>",
            },
        )
        assert sent["ok"] and sent["offline"] is True and sent["case_id"], sent
        stranger = await customer.call(
            "open",
            {"entry": "closed", "form": {"name": "Nobody"}, "offline_message": "Hello?"},
        )
        assert stranger["ok"] and stranger["offline"] is True and stranger["case_id"] is None
        empty = await customer.call(
            "open", {"entry": "closed", "form": {"name": "Grace"}, "offline_message": ""}
        )
        assert (empty["ok"], empty["error_id"]) == (False, "bad_message")
    finally:
        await customer.close()
    sam = await login(http, server, "sam")
    async with http.get(f"{server.base}/api/v1/cases/{sent['case_id']}/activities", headers=bearer(sam)) as r:
        items = (await r.json())["items"]
    assert any(
        a["disposition"] == "offline message" and a["notes"] == "Call me <b>back</b>" for a in items
    ), items


async def test_given_chat_open_in_two_tabs_when_one_sends_then_the_other_tab_and_the_agent_get_it_once(
    chat_server: Server, http: aiohttp.ClientSession
) -> None:
    server = chat_server
    alice_token = await login(http, server, "alice")
    await make_available(http, server, {"alice": "available", "bob": "offline", "carol": "offline"})
    alice_offers, alice_chat = await agent_sockets(server, alice_token)
    first_tab, second_tab = Customer(), Customer()
    try:
        await first_tab.connect(server)
        await first_tab.open(form("Two Tabs"))
        second_tab.token = first_tab.token
        await second_tab.connect(server)
        offer = await alice_offers.next("offer")
        assert (await alice_offers.call("accept", {"interaction_id": offer["interaction_id"]}))["ok"]
        await first_tab.next("agent_joined")

        sent = await first_tab.send("Typed in the first tab", client_id="tab-1")
        assert sent["ok"] and sent["stored"]["text"] == "Typed in the first tab", (
            "the ack carries the message"
        )
        # an echo would have been written to the sending tab's socket before its ack
        echoed = [e for e in _drained(first_tab) if e[0] == "message" and e[1]["sender"] == "customer"]
        assert echoed == [], "the sending tab shows its message from the ack, not a second time"
        shown = await second_tab.next("message", where=lambda m: m["sender"] == "customer")
        assert (shown["seq"], shown["text"]) == (sent["stored"]["seq"], "Typed in the first tab")
        heard = await alice_chat.next("message", match={"sender": "customer"})
        assert heard["seq"] == sent["stored"]["seq"]

        reply = {"conversation_id": first_tab.conversation_id, "client_id": "r-1", "text": "Seen in both"}
        assert (await alice_chat.call("send", reply))["ok"]
        for tab in (first_tab, second_tab):
            assert (await tab.next("message", where=lambda m: m["sender"] == "agent"))[
                "text"
            ] == "Seen in both"
    finally:
        for tab in (first_tab, second_tab):
            await tab.close()
        await alice_offers.close()
        await alice_chat.close()


def _drained(customer: Customer) -> list[tuple[str, dict[str, object]]]:
    events = []
    while not customer.events.empty():
        events.append(customer.events.get_nowait())
    return events
