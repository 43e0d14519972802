"""Cases and activities through a running server: agents log only as themselves, only their own interactions;
ids, links and numbers are checked; the OpenAPI document and the 405 answers say what the server does."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from tests.integration.server.conftest import Server, bearer, login
from tests.integration.server.test_routing_api import Listener, all_offline, create, presence

ANN = {"name": "Ann Owner", "phone": "020 7946 0111", "account_number": "OWN-1"}


@pytest.fixture
async def world(server: Server, http: aiohttp.ClientSession) -> dict[str, Any]:
    """alice handled a chat for Ann, who has a case; tokens for everyone."""
    tokens = {n: await login(http, server, n) for n in ("alice", "bob", "sam", "ada")}
    tokens["crm"] = await login(http, server, "crm", "crm-demo-secret")
    await all_offline(http, server, tokens["sam"])
    alice = Listener("/agent")
    try:
        await alice.connect(server, tokens["alice"])
        assert (await presence(http, server, tokens["alice"], "alice", "available")).status == 200
        status, chat = await create(
            http, server, tokens["crm"], channel="chat", queue="web-chat", preferred_agent="alice"
        )
        assert status == 201, chat
        await alice.next("offer", match={"interaction_id": chat["id"]})
        assert (await alice.call("accept", {"interaction_id": chat["id"]}))["ok"] is True
    finally:
        await alice.close()
    async with http.post(server.base + "/api/v1/customers", json=ANN, headers=bearer(tokens["ada"])) as r:
        customer = await r.json() if r.status == 201 else None
    if customer is None:  # a module-scoped server: Ann is there from an earlier test
        async with http.get(
            server.base + "/api/v1/customers?account=OWN-1", headers=bearer(tokens["ada"])
        ) as r:
            customer = (await r.json())["items"][0]
    async with http.post(
        server.base + "/api/v1/cases",
        json={"customer_id": customer["id"], "subject": f"Chat {chat['id']}"},
        headers=bearer(tokens["sam"]),
    ) as r:
        assert r.status == 201, await r.text()
        case = await r.json()
    return {"tokens": tokens, "chat": chat["id"], "case": case["id"], "customer": customer["id"]}


def _activity(interaction_id: str | None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"channel": "chat", "started_at": "2026-12-01T10:00:00+00:00", "talk_seconds": 30}
    if interaction_id is not None:
        body["interaction_id"] = interaction_id
    return {**body, **extra}


async def _log(
    http: aiohttp.ClientSession, server: Server, token: str, case_id: str, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    async with http.post(
        f"{server.base}/api/v1/cases/{case_id}/activities", json=body, headers=bearer(token)
    ) as r:
        return r.status, await r.json()


async def _until_logged(
    http: aiohttp.ClientSession, server: Server, token: str, case_id: str, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """The accepted chat reaches the database a moment after the accept: wait for it, within 10 s."""
    for _ in range(100):
        status, answer = await _log(http, server, token, case_id, body)
        if answer.get("error_id") not in ("unknown_interaction", "not_your_interaction"):
            return status, answer
        await asyncio.sleep(0.1)
    return status, answer


async def test_given_an_agent_when_logging_their_own_interaction_then_201_and_logged_as_them(
    server: Server, http: aiohttp.ClientSession, world: dict[str, Any]
) -> None:
    alice = world["tokens"]["alice"]
    status, answer = await _until_logged(http, server, alice, world["case"], _activity(world["chat"]))

    assert status == 201, answer
    assert [(a["interaction_id"], a["agent_id"]) for a in answer["items"]] == [(world["chat"], "alice")]


async def test_given_an_agent_when_logging_as_someone_else_or_another_agents_interaction_then_403(
    server: Server, http: aiohttp.ClientSession, world: dict[str, Any]
) -> None:
    """... and staff or a CRM may name any agent, but only a configured one (400 naming agent_id)."""
    tokens, case, chat = world["tokens"], world["case"], world["chat"]
    await _until_logged(http, server, tokens["alice"], case, _activity(chat))

    as_bob = await _log(http, server, tokens["alice"], case, _activity(chat, agent_id="bob"))
    bobs_claim = await _log(http, server, tokens["bob"], case, _activity(chat))
    no_interaction = await _log(http, server, tokens["bob"], case, _activity(None))
    by_supervisor = await _log(http, server, tokens["sam"], case, _activity(chat, agent_id="alice"))
    by_crm = await _log(http, server, tokens["crm"], case, _activity(chat, agent_id="bob"))
    no_agents = {
        (who, named): await _log(http, server, tokens[who], case, _activity(chat, agent_id=named))
        for who, named in [("sam", "nobody"), ("ada", "sam"), ("crm", "ghost-7"), ("crm", "")]
    }
    async with http.get(f"{server.base}/api/v1/cases/{case}/activities", headers=bearer(tokens["sam"])) as r:
        named = [a["agent_id"] for a in (await r.json())["items"]]

    assert (as_bob[0], as_bob[1]["error_id"]) == (403, "not_yourself")
    assert (bobs_claim[0], bobs_claim[1]["error_id"]) == (403, "not_your_interaction")
    assert no_interaction[0] == 400
    assert no_interaction[1]["details"]["errors"][0]["field"] == "interaction_id"
    assert by_supervisor[0] == 201
    assert by_crm[0] == 201
    for (who, agent), (status, answer) in no_agents.items():
        assert status == 400, (who, agent, answer)
        assert [e["field"] for e in answer["details"]["errors"]] == ["agent_id"], (who, agent, answer)
    assert set(named) == {"alice", "bob"}


async def test_given_an_interaction_alice_transferred_when_she_logs_it_afterwards_then_201(
    server: Server, http: aiohttp.ClientSession, world: dict[str, Any]
) -> None:
    """A transfer ends her interaction (the next agent gets a new one): it stays one she handled."""
    tokens, case, chat = world["tokens"], world["case"], world["chat"]
    async with asyncio.timeout(10):  # the accept reaches the routing server's view a moment later
        while True:
            async with http.post(
                f"{server.base}/api/v1/interactions/{chat}/end",
                json={"reason": "transferred"},
                headers=bearer(tokens["alice"]),
            ) as r:
                if r.status == 200:
                    break
            await asyncio.sleep(0.1)

    status, answer = await _until_logged(http, server, tokens["alice"], case, _activity(chat))
    bobs_claim = await _log(http, server, tokens["bob"], case, _activity(chat))

    assert status == 201, answer
    assert [a["agent_id"] for a in answer["items"] if a["interaction_id"] == chat] == ["alice"]
    assert (bobs_claim[0], bobs_claim[1]["error_id"]) == (403, "not_your_interaction")


async def test_given_bad_ids_links_and_numbers_when_logged_then_400_names_the_field_and_nothing_is_stored(
    server: Server, http: aiohttp.ClientSession, world: dict[str, Any]
) -> None:
    sam, case = world["tokens"]["sam"], world["case"]
    cases = [
        (_activity("no-such-call"), "interaction_id"),
        (_activity(world["chat"], recording_url="javascript:alert(1)"), "recording_url"),
        (_activity(world["chat"], transcript_url="//evil.example/x"), "transcript_url"),
        (_activity(world["chat"], talk_seconds=1e300), "talk_seconds"),
        (_activity(world["chat"], wait_seconds=True), "wait_seconds"),
        (_activity(world["chat"], hold_seconds=-1), "hold_seconds"),
    ]
    answers = [await _log(http, server, sam, case, body) for body, _field in cases]
    async with http.get(f"{server.base}/api/v1/cases/{case}/activities", headers=bearer(sam)) as r:
        stored = (await r.json())["items"]
    unknown_case = await _log(http, server, sam, "no-such-case", _activity(world["chat"]))
    fine = await _log(http, server, sam, case, _activity(world["chat"], recording_url="/api/v1/recordings/x"))

    for (status, answer), (_body, field) in zip(answers, cases, strict=True):
        assert status == 400, (field, answer)
        assert [e["field"] for e in answer["details"]["errors"]] == [field], answer
    assert answers[0][1]["error_id"] == "unknown_interaction"
    assert not [a for a in stored if a["interaction_id"] == "no-such-call"]
    assert unknown_case[0] == 404
    assert fine[0] == 201


async def test_given_a_case_when_priority_is_a_boolean_or_limit_is_empty_then_400(
    server: Server, http: aiohttp.ClientSession, world: dict[str, Any]
) -> None:
    sam = world["tokens"]["sam"]
    async with http.patch(
        f"{server.base}/api/v1/cases/{world['case']}", json={"priority": False}, headers=bearer(sam)
    ) as r:
        priority = (r.status, (await r.json())["details"]["errors"][0]["field"])
    async with http.get(f"{server.base}/api/v1/cases?limit=", headers=bearer(sam)) as r:
        limit = (r.status, (await r.json())["error_id"])
    async with http.post(
        server.base + "/api/v1/cases",
        json={"customer_id": world["customer"], "subject": "x", "interaction_id": "no-such-call"},
        headers=bearer(sam),
    ) as r:
        case_with_unknown = (r.status, (await r.json())["error_id"])

    status, interaction = await create(
        http, server, world["tokens"]["crm"], channel="chat", queue="web-chat", priority=False
    )

    assert priority == (400, "priority")
    assert (status, interaction["details"]["errors"][0]["field"]) == (400, "priority")
    assert limit == (400, "invalid_query")
    assert case_with_unknown == (400, "unknown_interaction")


async def test_given_a_wrong_method_when_requested_then_405_with_an_allow_header(
    server: Server, http: aiohttp.ClientSession
) -> None:
    async with http.delete(server.base + "/api/v1/auth/login") as r:
        status, allow, body = r.status, r.headers.get("Allow", ""), await r.json()

    assert status == 405
    assert set(allow.split(",")) == {"POST"}
    assert body["error_id"] == "method_not_allowed"


async def test_given_the_openapi_document_then_it_lists_the_statuses_the_issue_found_missing(
    server: Server, http: aiohttp.ClientSession
) -> None:
    async with http.get(server.base + "/api/v1/openapi.json") as r:
        paths = (await r.json())["paths"]

    assert {"200", "400", "404"} <= set(paths["/api/v1/cases"]["get"]["responses"])
    assert {"200", "201", "400", "404"} <= set(paths["/api/v1/cases"]["post"]["responses"])
    assert {"201", "400", "403", "404"} <= set(
        paths["/api/v1/cases/{case_id}/activities"]["post"]["responses"]
    )
    assert {"200", "401", "429"} <= set(paths["/api/v1/auth/login"]["post"]["responses"])
