"""The customer travels with the call, through `helpline serve` with real SIP calls (SIPp callers through
Kamailio, a registered pjsua2 phone as the agent) and an external CRM (a fake REST CRM on loopback):
the IVR's lookup is the only time the CRM is asked, the entitlement decides who is served first, and
what became of the call is logged on the customer's case."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
import yaml

from tests.integration.cti_adapter.fake_crm import FakeCrm
from tests.integration.kamailio.conftest import free_udp_ports
from tests.integration.server.conftest import (
    DEMO,
    Server,
    bearer,
    login,
    set_presence,
    start_server,
    stop_server,
)
from tests.integration.server.test_routing_api import Listener
from tests.integration.voice.conftest import Caller, Phone, caller, media, pcap_dir, start_phone, start_trunk

__all__ = [
    "caller",
    "media",
    "pcap_dir",
    "start_phone",
    "start_trunk",
]  # fixtures shared with the voice tests

PREMIUM, PLAIN, PATIENT, CLOSED = "+442079460001", "+442079460002", "+442079460003", "+442079460004"
ASKED = "+442079460005"  # presses the queue's callback key before its max wait

# A queue whose callers are promised a callback after 3 s of waiting.
QUICK = {
    "id": "quick",
    "name": "Quick callbacks",
    "skills": [{"skill": "sales"}],
    "max_wait": {"seconds": 3, "exit": {"action": "callback"}},
    "wrap_up_seconds": 2,
}

FLOWS = """
crm:
  kind: rest
  base_url: "http://127.0.0.1:{crm_port}"
  lookup_timeout_seconds: 3
  level_priority: {{premium: 10}}
  no_entitlement: {{priority_delta: -1}}

flows:
  main:
    - lookup: caller
    - branch:
        when:
          - {{attribute: caller, in: ["{patient}", "{asked}"], goto: quick}}
          - {{attribute: caller, equals: "{closed}", goto: message}}
    - queue: {{queue: support, priority: 1}}
  quick:
    - queue: {{queue: quick, allow_callback: '1', on_callback: promised}}
    - id: promised
      say: "An agent will call you back as soon as one is free. Thank you for waiting, and goodbye."
    - hangup
  message:
    - say: "We are closed. Please leave a message after the tone."
    - voicemail: {{max_seconds: 20, beep: true, queue: support}}
    - hangup
"""


@pytest.fixture(scope="module")
def crm_port() -> int:
    return FakeCrm().port


@pytest.fixture(scope="module")
def trunk_port() -> int:
    """Where the phone network behind the trunk (a SIPp UAS started by a test) listens."""
    return free_udp_ports(1)


@pytest.fixture(scope="module")
def crm_server(
    tmp_path_factory: pytest.TempPathFactory, crm_port: int, trunk_port: int
) -> Iterator[tuple[Server, int]]:
    folder = tmp_path_factory.mktemp("crm-server")
    config = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    config["server"]["sip"] = {"trunk": {"uri": f"sip:{{number}}@127.0.0.1:{trunk_port}"}}
    config["queues"].append(QUICK)
    flows = FLOWS.format(crm_port=crm_port, patient=PATIENT, asked=ASKED, closed=CLOSED)
    config.update(yaml.safe_load(flows))
    path = folder / "helpline.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    sip_port = free_udp_ports(1)
    server = start_server(folder, config=path, sip_port=sip_port)
    yield server, sip_port
    stop_server(server)


@pytest.fixture
async def crm(crm_port: int) -> AsyncIterator[FakeCrm]:
    fake = FakeCrm(port=crm_port)
    fake.add_customer("ann", "Ann Premium", PREMIUM, level="premium")
    fake.add_customer("ben", "Ben Plain", PLAIN)
    fake.add_customer("pat", "Pat Patient", PATIENT)
    fake.add_customer("vic", "Vic Voicemail", CLOSED)
    fake.add_customer("asa", "Asa Asked", ASKED)
    await fake.start()
    yield fake
    await fake.stop()


async def _calls(
    http: aiohttp.ClientSession, server: Server, token: str, queue: str = "support"
) -> list[dict[str, Any]]:
    async with http.get(
        f"{server.base}/api/v1/interactions?queue_id={queue}&limit=500", headers=bearer(token)
    ) as r:
        return [i for i in (await r.json())["items"] if i["channel"] == "voice"]


async def _interaction(http: aiohttp.ClientSession, server: Server, token: str, iid: str) -> dict[str, Any]:
    async with http.get(f"{server.base}/api/v1/interactions/{iid}", headers=bearer(token)) as r:
        assert r.status == 200, await r.text()
        return dict(await r.json())


async def _waiting(
    http: aiohttp.ClientSession, server: Server, token: str, count: int, seen: set[str]
) -> list[dict[str, Any]]:
    """Until `count` new calls wait in support (those in `seen` are earlier tests' calls)."""
    async with asyncio.timeout(20):
        while True:
            new = [c for c in await _calls(http, server, token) if c["id"] not in seen]
            if len([c for c in new if c["state"] == "waiting"]) == count:
                return new
            await asyncio.sleep(0.2)


async def _post(http: aiohttp.ClientSession, server: Server, token: str, path: str, body: Any = None) -> None:
    async with http.post(f"{server.base}/api/v1{path}", json=body, headers=bearer(token)) as r:
        assert r.status == 200, await r.text()


async def _until(check: Any, *, within: float = 30.0) -> Any:
    async with asyncio.timeout(within):
        while not (found := check()):
            await asyncio.sleep(0.2)
    return found


async def _bobs_phone(start_phone: Any, sip_port: int) -> Phone:
    """bob's desk phone, registered with the gateway's Kamailio; it answers his calls."""
    phone: Phone = await start_phone(
        answer=["bob"], registrar=f"127.0.0.1:{sip_port}", register=["1002:bob-sip-secret"]
    )
    await phone.wait_for("registered 1002 200")
    return phone


def _activities(crm: FakeCrm, customer_id: str) -> list[dict[str, Any]]:
    cases = [c["id"] for c in crm.cases.values() if c["contact_id"] == customer_id]
    return [a for case in cases for a in crm.activities.get(case, [])]


async def test_given_plain_then_premium_caller_when_bob_is_free_then_premium_is_his_and_abandon_is_logged(
    crm_server: tuple[Server, int],
    crm: FakeCrm,
    caller: Caller,
    start_phone: Any,
    http: aiohttp.ClientSession,
) -> None:
    server, sip_port = crm_server
    sam = await login(http, server, "sam")
    await set_presence(http, server, sam, {"alice": "offline", "bob": "offline", "carol": "offline"})
    seen = {c["id"] for c in await _calls(http, server, sam)}
    phone = await _bobs_phone(start_phone, sip_port)
    talk = [("pause", 20000)]

    plain = await caller.start(sip_port, talk, number=PLAIN)
    [first] = await _waiting(http, server, sam, 1, seen)
    premium = await caller.start(sip_port, talk, number=PREMIUM)
    calls = await _waiting(http, server, sam, 2, seen)
    await set_presence(http, server, sam, {"bob": "available"})
    await phone.wait_for("confirmed 1002 1")

    async with asyncio.timeout(10):  # the phone may confirm before the routing server marks the offer taken
        while True:
            by_id = {c["id"]: await _interaction(http, server, sam, c["id"]) for c in calls}
            if any(c["state"] == "assigned" for c in by_id.values()):
                break
            await asyncio.sleep(0.2)
    [second] = [c for c in by_id.values() if c["id"] != first["id"]]
    plain_call, premium_call = by_id[first["id"]], second
    assert premium_call["state"] == "assigned" and premium_call["agent_id"] == "bob"
    assert plain_call["state"] == "waiting"  # it arrived first, and still waits
    assert (premium_call["priority"], plain_call["priority"]) == (11, 0)
    entitlement = premium_call["trace"][0]
    assert entitlement["rule"] == "entitlement" and entitlement["detail"] == "level_priority: premium +10"
    assert plain_call["trace"][0]["detail"] == "no_entitlement: priority -1"
    assert premium_call["attributes"]["customer.name"] == "Ann Premium"
    # one CRM lookup per call: the IVR's; the routing, the pop and the case read what it found
    assert sorted(crm.lookups) == sorted([PLAIN, PREMIUM])
    for process in (plain, premium):  # both callers hang up in the end
        async with asyncio.timeout(40):
            assert await process.wait() == 0
    [abandoned] = await _until(
        lambda: [a for a in _activities(crm, "ben") if a["disposition"] == "abandoned"]
    )
    assert abandoned["interaction_id"] == plain_call["id"] and abandoned["agent_id"] is None
    assert abandoned["disposition"] == "abandoned" and 10.0 <= abandoned["wait_seconds"] <= 25.0
    bob = await login(http, server, "bob")
    await _post(http, server, bob, f"/interactions/{premium_call['id']}/wrap-up", {"disposition": "resolved"})
    [served] = await _until(lambda: _activities(crm, "ann"))
    assert (served["interaction_id"], served["agent_id"]) == (premium_call["id"], "bob")


async def test_given_bobs_call_with_a_hold_when_he_wraps_up_then_the_case_activity_has_every_figure(
    crm_server: tuple[Server, int],
    crm: FakeCrm,
    caller: Caller,
    start_phone: Any,
    http: aiohttp.ClientSession,
) -> None:
    server, sip_port = crm_server
    sam, bob = await login(http, server, "sam"), await login(http, server, "bob")
    await set_presence(http, server, sam, {"alice": "offline", "bob": "available", "carol": "offline"})
    phone = await _bobs_phone(start_phone, sip_port)

    premium = await caller.start(sip_port, [("pause", 12000)], number=PREMIUM)
    await phone.wait_for("confirmed 1002 1")
    async with asyncio.timeout(10):  # the phone may confirm before the routing server marks the offer taken
        while not (assigned := [c for c in await _calls(http, server, bob) if c["state"] == "assigned"]):
            await asyncio.sleep(0.2)
    [call] = assigned
    await asyncio.sleep(1.0)
    await _post(http, server, bob, f"/interactions/{call['id']}/hold")
    await asyncio.sleep(2.0)
    await _post(http, server, bob, f"/interactions/{call['id']}/resume")
    async with asyncio.timeout(40):
        assert await premium.wait() == 0  # the caller hangs up; bob wraps up
    async with asyncio.timeout(10):  # SIPp exits on the 200 to its BYE: the gateway's end trails it
        while [
            c for c in await _calls(http, server, bob) if c["id"] == call["id"] and c["state"] == "assigned"
        ]:
            await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)
    wrap_up = {"disposition": "resolved", "notes": "Router replaced"}
    await _post(http, server, bob, f"/interactions/{call['id']}/wrap-up", wrap_up)

    [activity] = await _until(
        lambda: [a for a in _activities(crm, "ann") if a["interaction_id"] == call["id"]]
    )
    assert activity["interaction_id"] == call["id"] and activity["agent_id"] == "bob"
    assert (activity["disposition"], activity["notes"]) == ("resolved", "Router replaced")
    assert 1.5 <= activity["hold_seconds"] <= 6.0
    assert 2.0 <= activity["talk_seconds"] <= 15.0
    assert 0.8 <= activity["wrap_up_seconds"] <= 10.0
    assert activity["recording_url"].startswith("/api/v1/recordings/")
    async with http.get(server.base + activity["recording_url"], headers=bearer(bob)) as r:
        assert r.status == 200 and r.headers["Content-Type"].startswith("audio/")
    assert crm.lookups == [PREMIUM]


async def test_given_a_caller_past_max_wait_with_a_callback_exit_when_bob_is_free_then_he_calls_them_back(
    crm_server: tuple[Server, int],
    trunk_port: int,
    crm: FakeCrm,
    caller: Caller,
    start_phone: Any,
    start_trunk: Any,
    http: aiohttp.ClientSession,
) -> None:
    server, sip_port = crm_server
    sam, bob = await login(http, server, "sam"), await login(http, server, "bob")
    await set_presence(http, server, sam, {"alice": "offline", "bob": "offline", "carol": "offline"})
    trunk = await start_trunk(trunk_port)
    phone = await _bobs_phone(start_phone, sip_port)

    status, errors = await caller.call(sip_port, [("pause", 7000)], number=PATIENT)  # hears the promise
    assert status == 0, errors
    calls = await _calls(http, server, sam, "quick")
    assert [c["outcome"] for c in calls if c["outcome"]] == ["callback"], calls
    [kept] = [c for c in calls if c["state"] == "waiting"]  # filed again: the place it held is kept
    [exited] = [c for c in calls if c["state"] == "ended"]
    assert kept["created_at"] == exited["created_at"]
    await set_presence(http, server, sam, {"bob": "available"})
    await phone.wait_for("confirmed 1002 1")  # bob's phone rings first
    await trunk.answered()  # then the caller's number, through the trunk
    await asyncio.sleep(1.0)
    await _post(http, server, bob, f"/interactions/{kept['id']}/hangup")
    requests = await trunk.finished()

    assert requests[0] == f"INVITE sip:{PATIENT}@127.0.0.1:{trunk_port} SIP/2.0"
    logged = await _until(lambda: len(found := _activities(crm, "pat")) == 2 and found)
    assert {(a["interaction_id"], a["disposition"], a["agent_id"]) for a in logged} == {
        (exited["id"], "exited: callback", None),
        (kept["id"], None, "bob"),  # its wrap-up ended without a disposition
    }
    assert crm.lookups == [PATIENT]  # the callback is the same customer: not looked up again


async def test_given_a_voicemail_when_it_is_left_then_the_case_has_it_and_bob_gets_it_as_work_he_can_hear(
    crm_server: tuple[Server, int],
    crm: FakeCrm,
    caller: Caller,
    http: aiohttp.ClientSession,
) -> None:
    server, sip_port = crm_server
    sam, bob_token = await login(http, server, "sam"), await login(http, server, "bob")
    await set_presence(http, server, sam, {"alice": "offline", "bob": "offline", "carol": "offline"})

    # the greeting and the beep, then 4 s of the caller's tone, then they hang up
    status, errors = await caller.call(sip_port, [("pause", 9000)], number=CLOSED)
    assert status == 0, errors

    [left] = await _until(lambda: _activities(crm, "vic"))
    assert (left["channel"], left["disposition"]) == ("voicemail", "voicemail left")
    async with http.get(server.base + left["recording_url"], headers=bearer(sam)) as r:
        assert r.status == 200 and r.headers["Content-Type"] == "audio/wav"
        assert len(await r.read()) > 8000 * 2  # more than a second of sound
    bob = Listener("/agent")
    try:
        await bob.connect(server, bob_token)
        await set_presence(http, server, sam, {"bob": "available"})
        offer = await bob.next("offer")
        work = offer["interaction"]
        assert work["channel"] == "case" and work["queue"] == "support"
        assert work["attributes"]["kind"] == "voicemail" and work["attributes"]["caller"] == CLOSED
        assert offer["pop"]["customer"]["name"] == "Vic Voicemail"
        assert (await bob.call("accept", {"interaction_id": work["id"]}))["ok"] is True
        async with http.get(
            server.base + work["attributes"]["voicemail_url"], headers=bearer(bob_token)
        ) as r:
            assert r.status == 200  # the agent it was routed to may hear it
        end = {"disposition": "called_back", "notes": "Called Vic back"}
        async with http.post(
            f"{server.base}/api/v1/interactions/{work['id']}/end", json=end, headers=bearer(bob_token)
        ) as r:
            assert r.status == 200, await r.text()
    finally:
        await bob.close()
    handled = await _until(lambda: [a for a in _activities(crm, "vic") if a["agent_id"] == "bob"])
    assert handled[0]["disposition"] == "called_back" and handled[0]["recording_url"] == left["recording_url"]
    assert crm.lookups == [CLOSED]  # identified once, when the message became work


async def test_given_a_caller_who_asked_for_a_callback_when_the_max_wait_passes_then_the_callback_still_waits(
    crm_server: tuple[Server, int],
    crm: FakeCrm,
    caller: Caller,
    http: aiohttp.ClientSession,
) -> None:
    server, sip_port = crm_server
    sam = await login(http, server, "sam")
    await set_presence(http, server, sam, {"alice": "offline", "bob": "offline", "carol": "offline"})
    before = {c["id"] for c in await _calls(http, server, sam, "quick")}

    # in the queue within 1 s, the callback key at 1.5 s (before the 3 s max wait), then they hang up
    status, errors = await caller.call(
        sip_port, [("pause", 1500), ("dtmf", "1"), ("pause", 1000)], number=ASKED
    )
    assert status == 0, errors
    await asyncio.sleep(3.0)  # past the queue's max wait

    calls = [c for c in await _calls(http, server, sam, "quick") if c["id"] not in before]
    [waiting] = [c for c in calls if c["state"] == "waiting"]  # the callback kept: not an exit to silence
    assert all(c["outcome"] in (None, "callback") for c in calls), calls
    assert {c["created_at"] for c in calls} == {waiting["created_at"]}  # its place, as when it first queued
