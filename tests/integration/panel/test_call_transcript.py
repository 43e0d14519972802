"""A recorded call's transcript reaches the agent and the case: a known customer calls through Kamailio
speaking Korean, alice answers on her registered phone; once the gateway (speech on, the real Korean Vosk
model) has stored the transcript, the call's activity on the customer's case links it and alice's history
in Chromium opens it under the call."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.integration.panel.agent import AgentPanel
from tests.integration.panel.calls import ALICE_SIP, desk_phone, start_sip_server
from tests.integration.panel.conftest import LoopThread, Rest
from tests.integration.server.conftest import Server, stop_server
from tests.integration.sip.conftest import free_udp_ports
from tests.integration.voice.conftest import Caller, Step, caller, media, pcap_dir
from tests.integration.voice.test_voice_transcripts import CALLER_SAYS, MODEL, speech_file

__all__ = ["caller", "media", "pcap_dir"]  # fixtures shared with the voice tests

# The demo IVR for a caller who is not premium: 2 pressed at 9 s picks support (see test_call_pop).
TO_SUPPORT: list[Step] = [("pause", 9000), ("dtmf", "2"), ("pause", 25000)]


@pytest.fixture(scope="module")
def sip_port() -> int:
    return free_udp_ports(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sip_port: int) -> Iterator[Server]:
    speech = f"\nspeech:\n  language: ko\n  model_dir: {MODEL}\n"
    srv = start_sip_server(tmp_path_factory.mktemp("call-transcript"), sip_port=sip_port, extra=speech)
    yield srv
    assert srv.alive(), "the server died during the tests:\n" + srv.log_text()
    stop_server(srv)


async def _finished(process: asyncio.subprocess.Process, within: float) -> tuple[int, str]:
    async with asyncio.timeout(within):
        _, stderr = await process.communicate()
    return process.returncode or 0, stderr.decode(errors="replace")


def _activity(rest: Rest, customer_id: str, interaction_id: str) -> dict[str, Any] | None:
    for case in rest.ok("sam", "GET", f"/cases?customer_id={customer_id}")["items"]:
        for activity in rest.ok("sam", "GET", f"/cases/{case['id']}/activities")["items"]:
            if activity["interaction_id"] == interaction_id:
                return dict(activity)
    return None


@pytest.mark.timeout(600)
def test_given_a_known_callers_recorded_call_when_transcribed_then_case_and_history_show_the_transcript(
    server: Server,
    sip_port: int,
    page: Page,
    rest: Rest,
    aio: LoopThread,
    caller: Caller,
    media: Path,
    pcap_dir: Path,
    tmp_path: Path,
) -> None:
    number = f"+44207946{uuid.uuid4().int % 10000:04d}"
    customer = rest.ok("crm", "POST", "/customers", {"name": "Min-jun Kim", "phone": number})
    korean = tmp_path / "korean"
    korean.mkdir()
    speech_file(CALLER_SAYS, korean / "caller.wav", "-r", "8000", "-c", "1", "-e", "u-law")
    speaker = Caller(binary=caller.binary, pcap_dir=pcap_dir, media=korean, folder=caller.folder)
    status, errors = aio.run(caller.call(sip_port, [("pause", 12000)], number=number))  # renders prompts
    assert status == 0, errors
    (tmp_path / "phone").mkdir()
    phone = aio.run(desk_phone(media, tmp_path / "phone", sip_port))
    try:
        panel = AgentPanel(page, server).open().log_in("alice")
        panel.set_state("available")
        expect(panel.state).to_have_text("Available")

        call = aio.run(speaker.start(sip_port, TO_SUPPORT, number=number))
        card = page.locator(".offer")
        expect(card).to_be_visible(timeout=30_000)
        interaction = card.get_attribute("data-interaction-id") or ""
        aio.run(phone.wait_for(f"incoming {ALICE_SIP[0]} 1", within=10))
        aio.run(phone.send("answer"))
        status, errors = aio.run(_finished(call, within=90))
        assert status == 0, errors
    finally:
        aio.run(phone.close())

    deadline = 400.0
    while not ((activity := _activity(rest, customer["id"], interaction)) or {}).get("transcript_url"):
        assert deadline > 0, f"no transcript link on the case activity: {activity}"
        aio.run(asyncio.sleep(1.0))
        deadline -= 1.0
    assert activity is not None
    assert activity["transcript_url"] == f"/api/v1/interactions/{interaction}/transcript"

    row = panel.history_row(interaction)
    row.get_by_role("button", name="Transcript").click()
    transcript = page.locator(f'#history-rows tr[data-transcript-of="{interaction}"]')
    expect(transcript).to_contain_text("caller: ")
