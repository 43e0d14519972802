"""A newcomer's first call: a standard softphone (baresip) registers to the demo, calls the IVR, picks a
queue; and what `helpline serve` prints meanwhile is only Helpline's own log.

The gateway is a real `helpline demo`-equivalent process (`helpline serve` with the demo configuration,
open around the clock so the call never meets the after-hours branch), with its SIP front: media workers
behind Kamailio. The phone is configured exactly as the README tells a user to configure theirs.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from gateway.voice import PromptCache
from tests.integration.kamailio.conftest import free_udp_ports
from tests.integration.server.baresip import Baresip, baresip_phone
from tests.integration.server.conftest import DEMO, Server, bearer, login, start_server, stop_server
from tests.integration.voice.audio import read, resample, worst_part

pytestmark = pytest.mark.timeout(120)

_OUR_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) helpline[.:\s]"
)
_BANNER = re.compile(r"^(Helpline \S+ is up.*|  \S.*)$")  # `helpline serve`'s own greeting and its URLs


def demo_open_around_the_clock(folder: Path) -> Path:
    """The demo configuration with its office always open: the IVR's menu, whatever the hour."""
    config = yaml.safe_load(DEMO.read_text())
    for hours in config["business_hours"]:
        hours["weekly"] = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
        hours["closed_dates"] = []
    path = folder / "helpline.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, int]]:
    folder = tmp_path_factory.mktemp("demo")
    sip_port = free_udp_ports(1)
    server = start_server(folder, config=demo_open_around_the_clock(folder), sip_port=sip_port)
    yield server, sip_port
    assert server.alive(), server.log_text()
    stop_server(server)


async def _waiting_in(http: aiohttp.ClientSession, server: Server, queue: str) -> list[dict[str, Any]]:
    token = await login(http, server, "sam")
    async with http.get(server.base + "/api/v1/interactions", headers=bearer(token)) as response:
        assert response.status == 200, await response.text()
        items: list[dict[str, Any]] = (await response.json())["items"]
    return [i for i in items if i["queue"] == queue and i["state"] == "waiting"]


async def _press_until_queued(
    phone: Baresip, key: str, http: aiohttp.ClientSession, server: Server, queue: str
) -> dict[str, Any]:
    """Press `key` as a caller would while the menu plays, until the call waits in `queue`."""
    for _ in range(30):
        await phone.command("sndcode", key)
        await asyncio.sleep(1.5)
        if waiting := await _waiting_in(http, server, queue):
            return waiting[0]
    raise AssertionError(f"no call waits in {queue!r}:\n{server.log_text()}\n{phone.output()}")


async def test_given_baresip_registered_as_alice_when_it_calls_the_ivr_and_presses_3_then_it_waits_in_sales(
    demo: tuple[Server, int], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    server, sip_port = demo
    account = f"<sip:1001@127.0.0.1:{sip_port}>;auth_pass=alice-sip-secret;answermode=manual;regint=300"
    async with baresip_phone(tmp_path / "phone", account=account) as phone:
        assert "OK" in await phone.registered()
        assert await _waiting_in(http, server, "sales") == []
        await phone.command("dial", f"sip:helpline@127.0.0.1:{sip_port}")
        await phone.wait_event("CALL_ESTABLISHED")

        waiting = await _press_until_queued(phone, "3", http, server, "sales")

        assert waiting["channel"] == "voice"
        assert waiting["attributes"]["caller"] == "1001"
        await phone.command("hangup")
        await phone.wait_event("CALL_CLOSED")


def test_given_log_level_debug_when_kamailio_probes_the_workers_then_pjlib_logs_the_sip_messages(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path, sip_port=free_udp_ports(1), extra=("--log-level", "DEBUG"))
    try:
        pjlib = _pjlib_lines(server)
        deadline = time.monotonic() + 20  # Kamailio's first OPTIONS probe comes a few seconds after start
        while not any("Request msg OPTIONS" in line for line in pjlib) and time.monotonic() < deadline:
            time.sleep(0.5)
            pjlib = _pjlib_lines(server)
    finally:
        stop_server(server)
    assert any("pjlib 2.10 for POSIX initialized" in line for line in pjlib), server.log_text()
    assert any("Request msg OPTIONS" in line for line in pjlib), server.log_text()


def _pjlib_lines(server: Server) -> list[str]:
    return [line for line in server.log_text().splitlines() if " DEBUG helpline.sip.pjlib: worker " in line]


async def _heard_saying(heard: Path, text: str, prompts: Path) -> float:
    """How well the worst-heard half second of `text`, as the gateway's espeak-ng says it, is found in `heard`
    (a clean call gives ~0.9; another sentence ~0.3-0.4), the worst two of eight left out: on a loaded
    machine the call's audio can stall for a second (seen once in about 20 full runs: 0.51)."""
    rate = 8000
    reference, reference_rate = read(await PromptCache(prompts).say(text, rate))
    recording, recording_rate = await asyncio.to_thread(read, heard)
    return worst_part(
        resample(recording[0], recording_rate, rate),
        resample(reference[0], reference_rate, rate),
        rate,
        spared=2,
    )


async def test_given_the_demo_line_when_a_softphone_calls_its_number_then_it_hears_the_lines_announcement(
    demo: tuple[Server, int], tmp_path: Path
) -> None:
    _, sip_port = demo
    flows = yaml.safe_load(DEMO.read_text())["flows"]
    announcement, welcome = flows["demo_line"][0]["say"], flows["main"][0]["say"]
    account = f"<sip:caller@127.0.0.1:{sip_port}>;regint=0;answermode=manual"
    async with baresip_phone(tmp_path / "phone", account=account) as phone:
        await phone.command("dial", f"sip:+442079460100@127.0.0.1:{sip_port}")
        await phone.wait_event("CALL_ESTABLISHED")
        await phone.wait_event("CALL_CLOSED", timeout=60)  # the line hangs up after its menu times out
        heard = await asyncio.to_thread(phone.heard)

    assert len(heard) == 1, heard
    right = await _heard_saying(heard[0], announcement, tmp_path / "prompts")
    wrong = await _heard_saying(heard[0], welcome, tmp_path / "prompts")
    assert right > 0.6 and wrong < right - 0.25, (right, wrong)


async def test_given_alice_available_when_she_dials_the_demo_line_then_her_phone_rings_and_she_hears_the_line(
    demo: tuple[Server, int], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    server, sip_port = demo
    flows = yaml.safe_load(DEMO.read_text())["flows"]
    # The line's second prompt: the first second or two of its greeting, played from the moment the line
    # answers, can reach alice garbled while her leg and the line's are being bridged.
    menu, welcome = flows["demo_line"][1]["menu"]["prompt"], flows["main"][0]["say"]
    account = f"<sip:1001@127.0.0.1:{sip_port}>;auth_pass=alice-sip-secret;answermode=auto;regint=300"
    async with baresip_phone(tmp_path / "phone", account=account) as phone:
        await phone.registered()
        alice = bearer(await login(http, server, "alice"))
        available = {"state": "available"}
        async with http.put(
            server.base + "/api/v1/agents/alice/presence", json=available, headers=alice
        ) as r:
            assert r.status == 200, await r.text()

        async with http.post(
            server.base + "/api/v1/cti/dial", json={"number": "+442079460100"}, headers=alice
        ) as r:
            assert r.status == 202, await r.text()
        await phone.wait_event("CALL_ESTABLISHED")  # her phone rang and answered by itself
        await phone.wait_event("CALL_CLOSED", timeout=60)  # the demo line hangs up after its menu times out
        heard = await asyncio.to_thread(phone.heard)

    assert len(heard) == 1, heard
    right = await _heard_saying(heard[0], menu, tmp_path / "prompts")
    wrong = await _heard_saying(heard[0], welcome, tmp_path / "prompts")
    assert right > 0.6 and wrong < right - 0.25, (right, wrong)
    async with http.get(server.base + "/api/v1/interactions", headers=alice) as r:
        calls = [i for i in (await r.json())["items"] if i["attributes"].get("phone") == "+442079460100"]
    assert [(c["agent_id"], c["answered_at"] is not None) for c in calls] == [("alice", True)], calls


def test_given_a_call_went_through_when_reading_the_gateway_output_then_every_line_is_helplines_own(
    demo: tuple[Server, int],
) -> None:
    server, _ = demo
    lines = [line for line in server.log_text().splitlines() if line.strip()]
    foreign = [line for line in lines if not (_OUR_LINE.match(line) or _BANNER.match(line))]
    assert "answered by worker" in server.log_text(), "the calls of the tests before were logged"
    assert foreign == [], "\n".join(foreign)
