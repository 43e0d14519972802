"""A media worker dies under a caller waiting in a queue, through `helpline serve` and Kamailio: the caller
gets a BYE, and the call leaves the queue as lost with its worker, not as abandoned by the customer."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from tests.integration.kamailio.conftest import free_udp_ports
from tests.integration.server.conftest import DEMO, Server, bearer, login, start_server, stop_server
from tests.integration.server.test_calls import FLOWS, _voice_items, caller, media, pcap_dir
from tests.integration.voice.conftest import Caller

__all__ = ["caller", "media", "pcap_dir"]  # fixtures shared with the call tests


@pytest.fixture
def sip_server(tmp_path: Path) -> Iterator[tuple[Server, int]]:
    demo = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    demo["flows"] = yaml.safe_load(FLOWS)["flows"]  # 2: the support queue, at any hour
    demo["server"]["sip"].pop("numbers", None)  # the demo line's flow is not among these
    config = tmp_path / "helpline.yaml"
    config.write_text(yaml.safe_dump(demo, sort_keys=False), encoding="utf-8")
    sip_port = free_udp_ports(1)
    server = start_server(tmp_path, config=config, sip_port=sip_port)
    yield server, sip_port
    stop_server(server)


def _workers(server: Server) -> list[int]:
    """The media workers `helpline serve` runs (its children running `gateway.sip.worker`)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rpartition(")")[2].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == server.process.pid and b"gateway.sip.worker" in command:
            found.append(int(stat.parent.name))
    return found


async def test_given_a_caller_waiting_in_a_queue_when_the_workers_die_then_bye_and_no_abandon_counted(
    sip_server: tuple[Server, int], caller: Caller, http: aiohttp.ClientSession
) -> None:
    server, sip_port = sip_server
    sam = await login(http, server, "sam")
    for agent in ("alice", "bob", "carol"):  # nobody takes the call: it waits
        async with http.put(
            f"{server.base}/api/v1/agents/{agent}/presence", json={"state": "offline"}, headers=bearer(sam)
        ) as r:
            assert r.status == 200
    call = asyncio.create_task(
        caller.call(sip_port, [("pause", 2500), ("dtmf", "2"), ("hung_up_on", 30_000)], max_seconds=40)
    )
    async with asyncio.timeout(15):
        while not (waiting := await _voice_items(http, server, sam, "support")):
            await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)  # it waits with music

    for pid in _workers(server):  # the caller's worker among them
        os.kill(pid, signal.SIGKILL)
    status, errors = await call

    assert status == 0, errors  # the scenario ends only on the far end's BYE
    async with asyncio.timeout(15):
        while (await _voice_items(http, server, sam, "support"))[0]["outcome"] is None:
            await asyncio.sleep(0.2)
    [lost] = await _voice_items(http, server, sam, "support")
    async with http.get(f"{server.base}/api/v1/stats/queues?queue=support", headers=bearer(sam)) as r:
        figures: dict[str, Any] = (await r.json())["items"][0]
    assert lost["id"] == waiting[0]["id"] and lost["outcome"] == "media_worker_lost"
    assert (figures["offered"], figures["abandoned"], figures["exited"]) == (1, 0, 1)
    assert figures["abandonment_percent"] in (None, 0.0)
