"""Real calls into `helpline serve`: Kamailio, a media worker, the IVR, the routing core, REST."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.integration.kamailio.conftest import free_udp_ports
from tests.integration.server.conftest import DEMO, Server, bearer, login, start_server, stop_server
from tests.integration.voice.conftest import Caller, caller, media, pcap_dir

__all__ = ["caller", "media", "pcap_dir"]  # fixtures shared with the voice tests

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
def voice_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, int]]:
    folder = tmp_path_factory.mktemp("voice-server")
    demo = DEMO.read_text(encoding="utf-8")
    config = folder / "helpline.yaml"
    config.write_text(demo[: demo.index("\nflows:")] + FLOWS, encoding="utf-8")
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
