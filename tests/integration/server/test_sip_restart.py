"""Kamailio killed under `helpline serve`: the gateway restarts it, phones stay registered, /healthz tells."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from tests.integration.kamailio.conftest import DEMO, Sipp, free_udp_ports, sipp, sipp_run
from tests.integration.server.conftest import Server, bearer, login, set_presence, start_server, stop_server

__all__ = ["sipp", "sipp_run"]  # fixtures shared with the Kamailio tests

BACK_WITHIN_SECONDS = 5.0


@pytest.fixture
def sip_server(tmp_path: Path) -> Iterator[tuple[Server, int]]:
    """The demo with a trunk nobody answers: click-to-dial rings the agent's own phone first."""
    sip_port, trunk_port = free_udp_ports(2), free_udp_ports(1)
    config = yaml.safe_load(DEMO.read_text())
    config["server"]["sip"] = {"trunk": {"uri": f"sip:{{number}}@127.0.0.1:{trunk_port}"}}
    path = tmp_path / "helpline.yaml"
    path.write_text(yaml.safe_dump(config))
    server = start_server(tmp_path, config=path, sip_port=sip_port)
    yield server, sip_port
    stop_server(server)


class _Front:
    def __init__(self, port: int) -> None:
        self.port = port


async def _health(http: aiohttp.ClientSession, server: Server) -> tuple[int, dict[str, Any]]:
    async with http.get(server.base + "/healthz") as response:
        return response.status, await response.json()


async def _health_until_back(
    http: aiohttp.ClientSession, server: Server, within: float
) -> list[tuple[float, int, dict[str, Any]]]:
    """/healthz every 20 ms from now until it says 200 again after a 503 (or `within` s have passed)."""
    seen: list[tuple[float, int, dict[str, Any]]] = []
    started = time.monotonic()
    while time.monotonic() - started < within:
        status, body = await _health(http, server)
        seen.append((time.monotonic() - started, status, body))
        if status == 200 and any(s == 503 for _, s, _ in seen):
            break
        await asyncio.sleep(0.02)
    return seen


async def test_given_a_registered_phone_when_kamailio_is_killed_then_it_is_back_within_5_s_and_rings_it(
    sip_server: tuple[Server, int], sipp_run: Sipp, http: aiohttp.ClientSession
) -> None:
    server, sip_port = sip_server
    phone_port = free_udp_ports(1)
    await sipp_run.register(
        _Front(sip_port), "1001", "alice-sip-secret", contact=f"127.0.0.1:{phone_port}", expect=200
    )  # type: ignore[arg-type]
    before, healthy = await _health(http, server)
    pid_file = Path(server.data_dir, "kamailio", "kamailio.pid")
    pid = int(await asyncio.to_thread(pid_file.read_text))

    os.kill(pid, signal.SIGKILL)
    seen = await _health_until_back(http, server, within=3 * BACK_WITHIN_SECONDS)

    assert before == 200, healthy
    assert healthy["components"]["kamailio"] == {"status": "ok", "state": "up", "pid": pid, "restarts": 0}
    assert healthy["components"]["workers"] == {"status": "ok", "ready": 2, "total": 2}
    assert healthy["components"]["database"]["status"] == "ok"
    statuses = [status for _, status, _ in seen]
    assert 503 in statuses, seen
    down = next(body for _, status, body in seen if status == 503)
    assert down["status"] == "unavailable" and down["components"]["kamailio"]["status"] == "down", down
    back_after, last_status, back = seen[-1]
    print(f"kamailio killed: /healthz 503 for a while, 200 again after {back_after:.2f} s")  # with -s
    assert last_status == 200 and back_after <= BACK_WITHIN_SECONDS, seen
    assert back["components"]["kamailio"]["restarts"] == 1
    assert back["components"]["kamailio"]["pid"] != pid

    # Alice's phone registered before the crash rings when she clicks to dial: no new REGISTER was sent.
    phone = await sipp_run.start(sipp_run.scenario("phone_busy.xml"), port=phone_port)
    sam, alice = await login(http, server, "sam"), await login(http, server, "alice")
    await set_presence(http, server, sam, {"alice": "available"})
    async with http.post(
        f"{server.base}/api/v1/cti/dial", json={"number": "+442079460123"}, headers=bearer(alice)
    ) as response:
        assert response.status == 202, await response.text()
    status, errors = await sipp_run.finish(phone)
    assert status == 0, errors
    assert server.alive()
