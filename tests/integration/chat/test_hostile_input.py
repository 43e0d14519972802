"""Everything a customer controls is checked on the server: form fields, message text, names, rate, origin.
Text is stored and delivered exactly as typed (markup is text; emoji, RTL and combining marks survive)."""

from __future__ import annotations

import aiohttp
import pytest
import socketio

from tests.integration.chat.conftest import WIDGET_ORIGIN, Customer, agent_sockets, form, make_available
from tests.integration.server.conftest import Server, bearer, login

TRICKY = [
    "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "שלום, مرحبا — mixed RTL ‮reversed‬ text",
    "e\u0301 a\u0308 n\u0303 Z\u0351\u0352\u0353 zalgo",
    "👩🏽‍💻🇬🇧 family 👨‍👩‍👧‍👦 and \U0001f600",
    "  leading and trailing spaces  \n second line\ttab",
]


@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [
        ({"email": "a@example.com", "topic": "support"}, "name", "is required"),
        ({"name": "   ", "email": "a@example.com", "topic": "support"}, "name", "is required"),
        ({"name": "x" * 101, "email": "a@example.com", "topic": "support"}, "name", "at most 100"),
        ({"name": "Ann", "email": "not-an-address", "topic": "support"}, "email", "e-mail"),
        ({"name": "Ann", "email": "a@example.com", "topic": "<b>hack</b>"}, "topic", "must be one of"),
        ({"name": "Ann", "email": "a@example.com", "topic": "support", "admin": "1"}, "admin", "not a field"),
        ({"name": ["Ann"], "email": "a@example.com", "topic": "support"}, "name", "must be text"),
        ({"name": "A\x00nn", "email": "a@example.com", "topic": "support"}, "name", "NUL"),
    ],
)
async def test_given_bad_form_when_opening_then_error_names_the_field_and_nothing_is_routed(
    chat_server: Server, fields: dict[str, object], field: str, problem: str
) -> None:
    customer = Customer()
    try:
        await customer.connect(chat_server)
        answer = await customer.call("open", {"entry": "website", "form": fields})
    finally:
        await customer.close()
    assert answer["ok"] is False
    assert answer["error_id"] == "bad_form"
    assert answer["details"]["field"] == field
    assert problem in answer["message"]


async def test_given_unknown_entry_when_opening_then_refused(chat_server: Server) -> None:
    customer = Customer()
    try:
        await customer.connect(chat_server)
        answer = await customer.call("open", {"entry": "../admin", "form": form()})
    finally:
        await customer.close()
    assert (answer["ok"], answer["error_id"]) == (False, "unknown_entry")


async def test_given_tricky_text_when_sent_both_ways_then_stored_and_delivered_exactly(
    chat_server: Server, http: aiohttp.ClientSession
) -> None:
    server = chat_server
    await make_available(http, server, {"alice": "offline", "bob": "available", "carol": "offline"})
    bob_offers, bob_chat = await agent_sockets(server, await login(http, server, "bob"))
    customer = Customer()
    try:
        await customer.connect(server)
        await customer.open(form("<i>Mallory</i> 👩🏽‍💻 אבי"))
        offer = await bob_offers.next("offer")
        assert (await bob_offers.call("accept", {"interaction_id": offer["interaction_id"]}))["ok"]
        chat = await bob_chat.next("chat")
        assert chat["conversation"]["visitor_name"] == "<i>Mallory</i> 👩🏽‍💻 אבי"
        for text in TRICKY[:3]:
            assert (await customer.send(text))["ok"]
        heard = [(await bob_chat.next("message", match={"sender": "customer"}))["text"] for _ in TRICKY[:3]]
        assert heard == TRICKY[:3]
        for number, text in enumerate(TRICKY[3:]):
            sent = await bob_chat.call(
                "send", {"conversation_id": customer.conversation_id, "client_id": f"b{number}", "text": text}
            )
            assert sent["ok"], sent
        got = [
            (await customer.next("message", where=lambda m: m["sender"] == "agent"))["text"]
            for _ in TRICKY[3:]
        ]
        assert got == TRICKY[3:]
        stored = await customer.call("resume", {"after": 0})
        assert [m["text"] for m in stored["messages"] if m["sender"] != "system"] == TRICKY

        too_long = await customer.send("x" * 2001)
        assert too_long["ok"] is False and too_long["error_id"] == "bad_message"
        assert "2001 characters long; at most 2000" in too_long["message"]
        empty = await customer.send("   ")
        assert (empty["ok"], empty["error_id"]) == (False, "bad_message")
        not_text = await customer.call("send", {"text": {"$gt": ""}, "client_id": "x"})
        assert (not_text["ok"], not_text["error_id"]) == (False, "bad_message")

        # 5 messages per 30 s in this server's configuration: 3 were sent above (refusals do not count)
        results = [await customer.send(f"flood {n}") for n in range(4)]
        assert [r["ok"] for r in results] == [True, True, False, False]
        assert results[2]["error_id"] == "rate_limited"
        after = await customer.call("resume", {"after": 0})
        assert "flood 2" not in [m["text"] for m in after["messages"]], "a refused message is not stored"

        sam = await login(http, server, "sam")
        url = f"{server.base}/api/v1/chats/{customer.conversation_id}/transcript"
        async with http.get(url, headers=bearer(sam)) as r:
            transcript = await r.text()
        assert all(text in transcript for text in TRICKY)
    finally:
        await customer.close()
        await bob_offers.close()
        await bob_chat.close()
        await make_available(http, server, {"bob": "offline"})


async def test_given_forged_read_marks_when_sent_then_only_a_message_that_exists_is_marked_read(
    chat_server: Server, http: aiohttp.ClientSession
) -> None:
    server = chat_server
    await make_available(http, server, {"alice": "offline", "bob": "available", "carol": "offline"})
    bob_offers, bob_chat = await agent_sockets(server, await login(http, server, "bob"))
    customer = Customer()
    try:
        await customer.connect(server)
        await customer.open(form("Mallory Marks"))
        conversation = customer.conversation_id
        offer = await bob_offers.next("offer")
        assert (await bob_offers.call("accept", {"interaction_id": offer["interaction_id"]}))["ok"]
        await bob_chat.next("chat")
        for forged in (1_000_000, -1, "7", True, None):  # past the last message, or not a seq at all
            assert (await customer.call("read", {"seq": forged}))["ok"]
        sent = await bob_chat.call("send", {"conversation_id": conversation, "client_id": "b1", "text": "Hi"})
        history = await bob_chat.call("history", {"conversation_id": conversation, "after": 0})
        assert history["conversation"]["read_by_customer"] == 0, (
            "bob's answer was not read before it was sent"
        )

        real = sent["stored"]["seq"]
        assert (await customer.call("read", {"seq": real}))["ok"]
        heard = await bob_chat.next("read", match={"conversation_id": conversation})
        assert heard["seq"] == real, "the first read mark bob hears is the real one"
        history = await bob_chat.call("history", {"conversation_id": conversation, "after": 0})
        assert history["conversation"]["read_by_customer"] == real
        assert (await customer.call("end"))["ok"]
    finally:
        await customer.close()
        await bob_offers.close()
        await bob_chat.close()
        await make_available(http, server, {"bob": "offline"})


async def test_given_forged_or_foreign_tokens_when_connecting_then_refused(chat_server: Server) -> None:
    customer = Customer()
    customer.token = "eyJjIjoiYWJjIiwiZXhwIjo5OTk5OTk5OTk5fQ.forged"
    try:
        with pytest.raises(socketio.exceptions.ConnectionError, match="failed to connect: /chat"):
            await customer.connect(chat_server)
    finally:
        await customer.close()
    stranger = Customer()
    try:
        await stranger.connect(chat_server)
        answer = await stranger.call("send", {"text": "hi", "client_id": "1"})
    finally:
        await stranger.close()
    assert (answer["ok"], answer["error_id"]) == (False, "bad_visitor_token")


async def test_given_origins_when_connecting_then_only_the_listed_site_is_let_in(chat_server: Server) -> None:
    listed = Customer()
    try:
        await listed.connect(chat_server, origin=WIDGET_ORIGIN)
        assert (await listed.call("form", {"entry": "website"}))["ok"]
    finally:
        await listed.close()
    evil = Customer()
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await evil.connect(chat_server, origin="http://evil.example")
    finally:
        await evil.close()


async def test_given_one_address_when_opening_chat_after_chat_then_refused_past_the_limit(
    chat_server: Server,
) -> None:
    customer = Customer()
    try:
        await customer.connect(chat_server)
        answers = [await customer.call("open", {"entry": "website", "form": form()}) for _ in range(21)]
    finally:
        await customer.close()
    refused = [a for a in answers if not a["ok"]]
    assert refused, "20 per 10 minutes from one address in this server's configuration"
    assert {a["error_id"] for a in refused} == {"rate_limited"}
    assert "too many chats opened" in refused[0]["message"]
