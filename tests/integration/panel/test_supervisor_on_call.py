"""Sam joins Alice's call from his console, and her panel says so (the demo sets
`monitoring.show_to_agent`): a real call through Kamailio reaches her registered phone; from the console in
Chromium Sam listens in (his own registered phone rings and answers), switches to whisper, then barge, and
leaves; her call's row follows each step, a reload of her panel included."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.integration.panel.agent import AgentPanel
from tests.integration.panel.calls import ALICE_SIP, SAM_SIP, desk_phone, start_sip_server
from tests.integration.panel.conftest import LoopThread, Rest
from tests.integration.panel.console import ConsolePage
from tests.integration.panel.test_call_pop import TO_SUPPORT
from tests.integration.server.conftest import Server, serving
from tests.integration.voice.conftest import Caller, caller, media, pcap_dir

__all__ = ["caller", "media", "pcap_dir"]  # fixtures shared with the voice tests


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sip_port: int) -> Iterator[Server]:
    with serving(start_sip_server(tmp_path_factory.mktemp("supervisor-on-call"), sip_port=sip_port)) as srv:
        yield srv


def test_given_alice_on_a_call_when_sam_listens_whispers_and_leaves_then_her_panel_says_so(
    server: Server,
    sip_port: int,
    page: Page,
    rest: Rest,
    aio: LoopThread,
    caller: Caller,
    media: Path,
    tmp_path: Path,
) -> None:
    # A first call renders the IVR's prompts, so the second one's key press meets the menu on time.
    status, errors = aio.run(caller.call(sip_port, [("pause", 12000)]))
    assert status == 0, errors
    (tmp_path / "alice").mkdir()
    (tmp_path / "sam").mkdir()
    alice_phone = aio.run(desk_phone(media, tmp_path / "alice", sip_port))
    sam_phone = aio.run(desk_phone(media, tmp_path / "sam", sip_port, account=SAM_SIP, pick_up="auto"))
    try:
        panel = AgentPanel(page, server).open().log_in("alice")
        panel.set_state("available")
        call = aio.run(caller.start(sip_port, [*TO_SUPPORT, ("hung_up_on", 120_000)]))  # alice ends it
        card = page.locator(".offer")
        expect(card).to_have_count(1, timeout=30_000)
        interaction = card.get_attribute("data-interaction-id") or ""
        aio.run(alice_phone.wait_for(f"incoming {ALICE_SIP[0]} 1", within=10))
        aio.run(alice_phone.send("answer"))
        work = panel.work(interaction)
        expect(work.locator(".call-state")).to_have_text("Connected")
        on_call = work.locator(".supervisor-on-call")
        expect(on_call).to_be_hidden()

        console = ConsolePage(page.context.new_page(), server).open().log_in("sam")
        console.expect_live("Sam Patel")
        expect(console.agent("alice")).to_contain_text(interaction[:8])  # her call is on her row

        console.on_call("alice", "Join call", "listen")

        expect(console.page.locator("#notice")).to_have_text(
            "Your phone rings: answer it to join Alice Martin's call."
        )
        aio.run(sam_phone.wait_for(f"confirmed {SAM_SIP[0]} 1", within=15))
        expect(on_call).to_have_text("Supervisor Sam Patel is listening")
        page.reload()  # the panel reconnects: the gateway's `state` names the supervisor again
        expect(on_call).to_have_text("Supervisor Sam Patel is listening")
        console.on_call("alice", "Change", "whisper")
        expect(on_call).to_have_text("Supervisor Sam Patel is whispering to you")
        console.on_call("alice", "Change", "barge")
        expect(on_call).to_have_text("Supervisor Sam Patel has joined the call")
        assert rest.ok("sam", "GET", f"/interactions/{interaction}/monitor")["mode"] == "barge"
        console.on_call("alice", "Leave")
        expect(on_call).to_be_hidden()
        aio.run(sam_phone.wait_for(f"disconnected {SAM_SIP[0]} 1", within=10))
        expect(work.locator(".call-state")).to_have_text("Connected")  # her call goes on
        aio.run(alice_phone.send("hangup 1"))
        status, errors = aio.run(_finished(call, within=30))
        assert status == 0, errors
    finally:
        aio.run(alice_phone.close())
        aio.run(sam_phone.close())


async def _finished(process: asyncio.subprocess.Process, within: float) -> tuple[int, str]:
    async with asyncio.timeout(within):
        _, stderr = await process.communicate()
    return process.returncode or 0, stderr.decode(errors="replace")
