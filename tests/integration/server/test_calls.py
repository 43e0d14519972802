"""Real calls into `helpline serve`: Kamailio, a media worker, the IVR, the routing core, REST."""

from __future__ import annotations

import asyncio
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
