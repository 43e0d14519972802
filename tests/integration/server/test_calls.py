"""Real calls into `helpline serve`: Kamailio, a media worker, the IVR, the routing core, REST; and
click-to-dial out through a trunk (a SIPp UAS on loopback) from an agent's registered pjsua2 phone."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

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
from tests.integration.voice.audio import carries, read
from tests.integration.voice.conftest import (
    AGENT_HZ,
    CALLER_HZ,
    Caller,
    Phone,
    caller,
    media,
    pcap_dir,
    start_phone,
    start_trunk,
)

# Fixtures shared with the voice tests.
__all__ = [
    "caller",
    "media",
    "pcap_dir",
    "start_phone",
    "start_trunk",
]  # fixtures shared with the voice tests

FLOWS = """
flows:
  main:
    - menu:
        prompt: "For billing press 1, for support press 2."
        options: {'1': billing, '2': support}
        timeout: 8
        retries: 1
  billing:
    - queue: billing
  support:
    - queue: {queue: support, priority: 3}
"""


@pytest.fixture(scope="module")
def trunk_port() -> int:
    """Where the phone network behind the trunk (a SIPp UAS started by each test) listens."""
    return free_udp_ports(1)


@pytest.fixture(scope="module")
def voice_server(tmp_path_factory: pytest.TempPathFactory, trunk_port: int) -> Iterator[tuple[Server, int]]:
    folder = tmp_path_factory.mktemp("voice-server")
    demo = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    demo["server"]["sip"] = {"trunk": {"uri": f"sip:{{number}}@127.0.0.1:{trunk_port}"}}  # no demo line
    demo["flows"] = yaml.safe_load(FLOWS)["flows"]
    config = folder / "helpline.yaml"
    config.write_text(yaml.safe_dump(demo, sort_keys=False), encoding="utf-8")
    sip_port = free_udp_ports(1)
    server = start_server(folder, config=config, sip_port=sip_port)
    yield server, sip_port
    stop_server(server)


async def _voice_items(
    http: aiohttp.ClientSession, server: Server, token: str, queue: str
) -> list[dict[str, Any]]:
    async with http.get(
        f"{server.base}/api/v1/interactions?queue_id={queue}&limit=500", headers=bearer(token)
    ) as r:
        return [i for i in (await r.json())["items"] if i["channel"] == "voice"]


async def test_given_caller_pressing_2_when_hanging_up_in_queue_then_support_call_is_abandoned_with_its_wait(
    voice_server: tuple[Server, int], caller: Caller, http: aiohttp.ClientSession
) -> None:
    server, sip_port = voice_server
    sam = await login(http, server, "sam")
    for agent in ("alice", "bob", "carol"):
        async with http.put(
            f"{server.base}/api/v1/agents/{agent}/presence", json={"state": "offline"}, headers=bearer(sam)
        ) as r:
            assert r.status == 200
    status, errors = await caller.call(sip_port, [("pause", 2500), ("dtmf", "2"), ("pause", 5000)])
    assert status == 0, errors
    async with asyncio.timeout(15):
        while True:
            items = await _voice_items(http, server, sam, "support")
            if items and items[0]["outcome"] is not None:
                break
            await asyncio.sleep(0.2)
    assert len(items) == 1
    call = items[0]
    assert call["outcome"] == "abandoned"
    assert call["priority"] == 3
    assert 2.0 <= call["wait_seconds"] <= 10.0
    assert await _voice_items(http, server, sam, "billing") == []
    assert server.alive()


async def _worker_calls(http: aiohttp.ClientSession, server: Server) -> float:
    """The calls the media workers carry now, summed, as Prometheus scrapes them."""
    async with http.get(server.base + "/metrics") as r:
        text = await r.text()
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "helpline_media_worker_calls"
    )


async def test_given_a_call_in_the_ivr_when_scraped_then_its_media_worker_counts_it_and_the_stats_follow(
    voice_server: tuple[Server, int], caller: Caller, http: aiohttp.ClientSession
) -> None:
    server, sip_port = voice_server
    sam = await login(http, server, "sam")
    await set_presence(http, server, sam, {"alice": "offline", "bob": "offline", "carol": "offline"})

    async def support() -> dict[str, Any]:
        async with http.get(f"{server.base}/api/v1/stats/queues?queue=support", headers=bearer(sam)) as r:
            return dict((await r.json())["items"][0])

    before = await support()
    assert await _worker_calls(http, server) == 0
    call = asyncio.create_task(caller.call(sip_port, [("pause", 2500), ("dtmf", "2"), ("pause", 4000)]))
    async with asyncio.timeout(20):
        while await _worker_calls(http, server) != 1:
            await asyncio.sleep(0.2)
        while (await support())["waiting"] != before["waiting"] + 1:  # pressed 2: waits in support
            await asyncio.sleep(0.2)
    status, errors = await call
    assert status == 0, errors
    async with asyncio.timeout(20):
        while (
            await _worker_calls(http, server) != 0
            or (await support())["abandoned"] != before["abandoned"] + 1
        ):
            await asyncio.sleep(0.2)
    after = await support()
    assert (after["offered"], after["waiting"]) == (before["offered"] + 1, before["waiting"])


def test_given_served_config_when_flows_exist_then_voice_service_answers_calls(
    voice_server: tuple[Server, int],
) -> None:
    server, _ = voice_server
    assert "no IVR flows" not in server.log_text()
    assert Path(server.data_dir, "kamailio").is_dir()


def _invite(port: int, local: int, sdp_media: str) -> bytes:
    sdp = f"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n{sdp_media}\r\n"
    return (
        f"INVITE sip:helpline@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-codec{local}\r\n"
        f"From: <sip:+15550001@127.0.0.1:{local}>;tag=codec\r\nTo: <sip:helpline@127.0.0.1:{port}>\r\n"
        f"Call-ID: codec-{local}@127.0.0.1\r\nCSeq: 1 INVITE\r\n"
        f"Contact: <sip:+15550001@127.0.0.1:{local}>\r\n"
        f"Max-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}"
    ).encode()


def _responses(sock: socket.socket, seconds: float) -> list[str]:
    lines: list[str] = []
    sock.settimeout(0.5)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            data, _ = sock.recvfrom(65535)
        except TimeoutError:
            continue
        lines.append(data.split(b"\r\n", 1)[0].decode(errors="replace"))
        if any(line.startswith("SIP/2.0 488") for line in lines):
            break
    return lines


async def test_given_malformed_sip_and_an_unknown_codec_when_sent_then_488_and_calls_still_work(
    voice_server: tuple[Server, int], caller: Caller, http: aiohttp.ClientSession
) -> None:
    server, sip_port = voice_server
    worker_port = sip_port + 20  # the first media worker (gateway.sip.kamailio.WORKER_PORT_OFFSET)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        for target in (sip_port, worker_port):
            for junk in (
                b"\x00\xffnot sip at all",
                b"INVITE sip:x SIP/2.0\r\nVia: broken\r\n\r\n",
                b"OPTIONS sip:a@b SIP/2.0\r\n\r\n",
                b"SIP/2.0 200 OK\r\n\r\n" + b"A" * 3000,
            ):
                sock.sendto(junk, ("127.0.0.1", target))
        sock.sendto(
            _invite(sip_port, sock.getsockname()[1], "m=audio 40000 RTP/AVP 18\r\na=rtpmap:18 G729/8000"),
            ("127.0.0.1", sip_port),
        )
        answers = await asyncio.to_thread(_responses, sock, 8.0)
    assert "SIP/2.0 488 Not Acceptable Here" in answers, answers
    assert server.alive()
    sam = await login(http, server, "sam")
    before = len(await _voice_items(http, server, sam, "billing"))
    status, errors = await caller.call(sip_port, [("pause", 2500), ("dtmf", "1"), ("pause", 2000)])
    assert status == 0, errors
    async with asyncio.timeout(15):
        while len(await _voice_items(http, server, sam, "billing")) == before:
            await asyncio.sleep(0.2)


# --- click-to-dial ------------------------------------------------------------------------------------


async def _dial(
    http: aiohttp.ClientSession, server: Server, token: str, body: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{server.base}/api/v1/cti/dial", json=body, headers=bearer(token)) as r:
        return r.status, await r.json()


async def _registered_phone(start_phone: Any, sip_port: int) -> Phone:
    phone: Phone = await start_phone(
        answer=["alice"], registrar=f"127.0.0.1:{sip_port}", register=["1001:alice-sip-secret"]
    )
    await phone.wait_for("registered 1001 200")
    return phone


async def _until(check: Any, *, within: float = 20.0) -> Any:
    """Poll a REST read until it gives something (the case is logged after the call, in the background)."""
    async with asyncio.timeout(within):
        while not (found := await check()):
            await asyncio.sleep(0.2)
    return found


async def test_given_alices_registered_phone_when_she_clicks_to_dial_then_she_talks_to_the_customer_logged(
    voice_server: tuple[Server, int],
    trunk_port: int,
    start_phone: Any,
    start_trunk: Any,
    http: aiohttp.ClientSession,
) -> None:
    server, sip_port = voice_server
    trunk = await start_trunk(trunk_port)
    phone = await _registered_phone(start_phone, sip_port)
    crm = await login(http, server, "crm", "crm-demo-secret")
    sam, alice_token = await login(http, server, "sam"), await login(http, server, "alice")
    async with http.post(
        f"{server.base}/api/v1/customers",
        json={"name": "Dana Dialled", "phone": "+44 20 7946 0123"},
        headers=bearer(crm),
    ) as r:
        assert r.status == 201, await r.text()
        customer = await r.json()
    await set_presence(http, server, sam, {"alice": "available", "bob": "offline", "carol": "offline"})

    status, placed = await _dial(
        http, server, alice_token, {"number": "020 7946 0123", "customer_id": customer["id"]}
    )

    assert status == 202, placed
    assert placed["number"] == "+442079460123"
    await phone.wait_for("confirmed 1001 1")  # her own phone rang first, and she answered
    await trunk.answered()
    status, busy = await _dial(http, server, alice_token, {"number": "020 7946 0999"})
    assert (status, busy["error_id"]) == (409, "agent_busy"), busy  # one call at a time
    [work] = await _items(http, server, alice_token, state="assigned")
    assert work["attributes"]["direction"] == "outbound" and work["agent_id"] == "alice"
    await asyncio.sleep(2.0)  # they talk
    async with http.post(
        f"{server.base}/api/v1/interactions/{work['id']}/hangup", headers=bearer(alice_token)
    ) as r:
        assert r.status == 200, await r.text()
    requests = await trunk.finished()

    assert requests[0] == f"INVITE sip:+442079460123@127.0.0.1:{trunk_port} SIP/2.0"
    await phone.wait_for("disconnected 1001 1")
    heard, rate = read(phone.heard("1001", 1))
    assert carries(heard[0], rate, AGENT_HZ, not_hz=CALLER_HZ)  # her voice came back from the customer
    wrap_up = {"disposition": "sale", "notes": "Ordered two routers"}  # the panel's after-call form
    async with http.post(
        f"{server.base}/api/v1/interactions/{work['id']}/wrap-up", json=wrap_up, headers=bearer(alice_token)
    ) as r:
        assert r.status == 200, await r.text()
    activity = await _until(lambda: _activity(http, server, alice_token, customer["id"], work["id"]))
    assert activity["channel"] == "voice" and activity["agent_id"] == "alice"
    assert 1.5 <= activity["talk_seconds"] <= 30.0
    assert (activity["disposition"], activity["notes"]) == ("sale", "Ordered two routers")
    assert activity["recording_url"].startswith("/api/v1/recordings/")
    recordings = await _until(lambda: _recordings(http, server, alice_token, work["id"]))
    assert {r["kind"] for r in recordings} == {"caller", "agent", "stereo"}


async def test_given_carol_without_a_registered_phone_when_she_clicks_to_dial_then_409_says_so(
    voice_server: tuple[Server, int], http: aiohttp.ClientSession
) -> None:
    server, _ = voice_server
    sam, carol = await login(http, server, "sam"), await login(http, server, "carol")
    await set_presence(http, server, sam, {"alice": "offline", "bob": "offline", "carol": "available"})

    status, answer = await _dial(http, server, carol, {"number": "+442079460555"})
    invalid, bad = await _dial(http, server, carol, {"number": "call me maybe"})

    assert (status, answer["error_id"]) == (409, "agent_phone_unreachable"), answer
    assert "not registered" in answer["message"]
    assert (invalid, bad["error_id"]) == (400, "invalid_phone"), bad
    agent = await _agent(http, server, sam, "carol")
    assert agent["presence"]["state"] == "available" and agent["work"] == []  # free to take calls
    await set_presence(http, server, sam, {"carol": "offline"})
    status, answer = await _dial(http, server, carol, {"number": "+442079460555"})
    assert (status, answer["error_id"]) == (409, "agent_busy"), answer


async def _items(
    http: aiohttp.ClientSession, server: Server, token: str, *, state: str
) -> list[dict[str, Any]]:
    async with http.get(f"{server.base}/api/v1/interactions?limit=500", headers=bearer(token)) as r:
        return [i for i in (await r.json())["items"] if i["state"] == state]


async def _agent(http: aiohttp.ClientSession, server: Server, token: str, agent: str) -> dict[str, Any]:
    async with http.get(f"{server.base}/api/v1/agents", headers=bearer(token)) as r:
        return next(a for a in (await r.json())["items"] if a["id"] == agent)


async def _activity(
    http: aiohttp.ClientSession, server: Server, token: str, customer_id: str, interaction_id: str
) -> dict[str, Any] | None:
    async with http.get(f"{server.base}/api/v1/cases?customer_id={customer_id}", headers=bearer(token)) as r:
        cases = (await r.json())["items"]
    for case in cases:
        async with http.get(
            f"{server.base}/api/v1/cases/{case['id']}/activities", headers=bearer(token)
        ) as r:
            for activity in (await r.json())["items"]:
                if activity["interaction_id"] == interaction_id:
                    return dict(activity)
    return None


async def _recordings(
    http: aiohttp.ClientSession, server: Server, token: str, interaction_id: str
) -> list[dict[str, Any]]:
    url = f"{server.base}/api/v1/interactions/{interaction_id}/recordings"
    async with http.get(url, headers=bearer(token)) as r:
        return list((await r.json())["items"])
