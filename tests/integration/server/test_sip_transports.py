"""Phones over TCP and TLS: `helpline serve` with `server.sip.tcp` and `server.sip.tls` (a pair made by
`helpline sip make-cert`), a standard softphone (baresip) that registers, calls the IVR and picks a queue."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from tests.integration.kamailio.conftest import free_udp_ports
from tests.integration.server.baresip import baresip_phone
from tests.integration.server.conftest import Server, bearer, login, start_server, stop_server
from tests.integration.server.test_softphone import (
    _press_until_queued,
    demo_open_around_the_clock,
)
from tests.services import free_port

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def secure_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, int, int, Path]]:
    """The demo (open around the clock) with TCP on the SIP port and TLS on its own port."""
    folder = tmp_path_factory.mktemp("secure-demo")
    made = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "sip", "make-cert", "--dir", str(folder / "tls")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    certificate = folder / "tls" / "sip-tls.crt"
    config = yaml.safe_load(demo_open_around_the_clock(folder).read_text())
    sip_port, tls_port = free_udp_ports(1), free_port()
    config["server"]["sip"].update(
        tcp=True,
        tls={"port": tls_port, "certificate": "tls/sip-tls.crt", "private_key": "tls/sip-tls.key"},
    )
    path = folder / "helpline.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    server = start_server(folder, config=path, sip_port=sip_port)
    yield server, sip_port, tls_port, certificate
    assert server.alive(), server.log_text()
    stop_server(server)


@pytest.mark.parametrize("transport", ["tcp", "tls"])
async def test_given_a_softphone_on_tcp_or_tls_when_it_registers_and_calls_the_ivr_then_it_reaches_sales(
    secure_demo: tuple[Server, int, int, Path], http: aiohttp.ClientSession, tmp_path: Path, transport: str
) -> None:
    server, sip_port, tls_port, certificate = secure_demo
    port = tls_port if transport == "tls" else sip_port
    user, password = ("1001", "alice-sip-secret") if transport == "tcp" else ("1002", "bob-sip-secret")
    account = f"<sip:{user}@127.0.0.1:{port};transport={transport}>;auth_pass={password};answermode=manual"
    async with baresip_phone(
        tmp_path / "phone", account=account, config=(f"sip_cafile {certificate}",)
    ) as phone:
        assert "OK" in await phone.registered()
        assert await _registered_on(server, user) == f"{transport}:127.0.0.1:{port}"
        await phone.command("dial", f"sip:helpline@127.0.0.1:{port};transport={transport}")
        await phone.wait_event("CALL_ESTABLISHED")

        waiting = await _press_until_queued(phone, "3", http, server, "sales")

        assert waiting["channel"] == "voice"
        assert waiting["attributes"]["caller"] == user
        await phone.command("hangup")
        await phone.wait_event("CALL_CLOSED")


async def test_given_carol_registered_over_tls_when_she_clicks_to_dial_then_her_phone_rings_and_is_hung_up(
    secure_demo: tuple[Server, int, int, Path], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    server, _, tls_port, certificate = secure_demo
    account = f"<sip:1003@127.0.0.1:{tls_port};transport=tls>;auth_pass=carol-sip-secret;answermode=auto"
    async with baresip_phone(
        tmp_path / "phone", account=account, config=(f"sip_cafile {certificate}",)
    ) as phone:
        await phone.registered()
        carol = bearer(await login(http, server, "carol"))
        async with http.put(
            server.base + "/api/v1/agents/carol/presence", json={"state": "available"}, headers=carol
        ) as r:
            assert r.status == 200, await r.text()

        async with http.post(
            server.base + "/api/v1/cti/dial", json={"number": "+442079460100"}, headers=carol
        ) as r:
            assert r.status == 202, await r.text()
        established = await phone.wait_event("CALL_ESTABLISHED")  # it rang and answered by itself
        [call] = await _assigned_to(http, server, carol, "carol")
        await _hang_up_once_connected(http, server, carol, call["id"])
        await phone.wait_event("CALL_CLOSED")  # the gateway's BYE reached it over its TLS connection

    assert established["direction"] == "incoming", established


async def _hang_up_once_connected(
    http: aiohttp.ClientSession, server: Server, headers: dict[str, str], interaction: str
) -> None:
    """The panel's hang-up, once the dialled line has answered (409 `no_such_call` until then)."""
    async with asyncio.timeout(20):
        while True:
            url = f"{server.base}/api/v1/interactions/{interaction}/hangup"
            async with http.post(url, headers=headers) as r:
                if r.status == 200:
                    return
                assert r.status == 409, await r.text()
            await asyncio.sleep(0.3)


async def _assigned_to(
    http: aiohttp.ClientSession, server: Server, headers: dict[str, str], agent: str
) -> list[dict[str, Any]]:
    """The agent's assigned work, once there is some: the phone may answer before the routing server
    has been told (polled for up to 10 s)."""
    found: list[dict[str, Any]] = []
    async with asyncio.timeout(10):
        while not found:
            async with http.get(f"{server.base}/api/v1/interactions?limit=500", headers=headers) as r:
                items: list[dict[str, Any]] = (await r.json())["items"]
            found = [i for i in items if i["state"] == "assigned" and i["agent_id"] == agent]
            if not found:
                await asyncio.sleep(0.2)
    return found


async def _registered_on(server: Server, user: str) -> str:
    """The socket Kamailio received `user`'s registration on, from the registrations it keeps on disk."""
    path = Path(server.data_dir, "kamailio", "registrations.sqlite")

    def read() -> str:
        with contextlib.closing(sqlite3.connect(path)) as db:
            row = db.execute("SELECT socket FROM location WHERE username = ?", (user,)).fetchone()
        return str(row[0]) if row else ""

    return await asyncio.to_thread(read)
