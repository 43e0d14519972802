"""A real call pops the caller's record while the agent's phone rings: SIPp calls through Kamailio from a
premium customer's number, walks the demo IVR into a queue, alice's registered pjsua2 phone rings and her
panel in Chromium shows who it is, their entitlement and the new case; then she picks up. And the demo as
shipped has no trunk: Dial on a customer card shows the server's no_trunk answer."""

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
from tests.integration.server.conftest import Server, serving
from tests.integration.voice.conftest import Caller, Step, caller, media, pcap_dir

__all__ = ["caller", "media", "pcap_dir"]  # fixtures shared with the voice tests

# The demo IVR after its prompts are rendered: welcome, lookup, the premium greeting (~6 s), then the menu,
# whose prompt lasts ~9 s and waits 6 s more: 2 pressed at 9 s lands in the menu and picks support.
TO_SUPPORT: list[Step] = [("pause", 9000), ("dtmf", "2")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sip_port: int) -> Iterator[Server]:
    """The demo configuration with its SIP front (Kamailio, a media worker), open around the clock."""
    with serving(start_sip_server(tmp_path_factory.mktemp("call-pop"), sip_port=sip_port)) as srv:
        yield srv


async def _finished(process: asyncio.subprocess.Process, within: float) -> tuple[int, str]:
    async with asyncio.timeout(within):
        _, stderr = await process.communicate()
    return process.returncode or 0, stderr.decode(errors="replace")


def _premium_customer(rest: Rest, number: str) -> dict[str, Any]:
    body = {
        "name": "Grace Hopper",
        "phone": number,
        "company": "Navy Labs",
        "entitlements": [{"level": "premium", "starts": "2020-01-01"}],
    }
    return dict(rest.ok("crm", "POST", "/customers", body))


def _case_of(rest: Rest, customer_id: str, interaction_id: str) -> dict[str, Any]:
    cases = rest.ok("sam", "GET", f"/cases?customer_id={customer_id}")["items"]
    [case] = [c for c in cases if interaction_id in c["interaction_ids"]]
    return dict(case)


def test_given_a_premium_caller_when_the_call_rings_alice_then_her_panel_pops_them_before_she_answers(
    server: Server,
    sip_port: int,
    page: Page,
    rest: Rest,
    aio: LoopThread,
    caller: Caller,
    media: Path,
    tmp_path: Path,
) -> None:
    number = f"+44207946{uuid.uuid4().int % 10000:04d}"
    customer = _premium_customer(rest, number)
    # A first call renders the IVR's prompts, so the second one's key press meets the menu on time.
    status, errors = aio.run(caller.call(sip_port, [("pause", 12000)], number=number))
    assert status == 0, errors
    (tmp_path / "phone").mkdir()
    phone = aio.run(desk_phone(media, tmp_path / "phone", sip_port))
    try:
        panel = AgentPanel(page, server).open().log_in("alice")
        panel.set_state("available")
        expect(panel.state).to_have_text("Available")

        call = aio.run(caller.start(sip_port, [*TO_SUPPORT, ("pause", 20000)], number=number))

        card = page.locator(".offer")
        expect(card.locator(".customer-name")).to_have_text("Grace Hopper", timeout=30_000)
        interaction = card.get_attribute("data-interaction-id") or ""
        expect(card.locator(".entitled")).to_have_text("premium")
        expect(card).to_contain_text("Navy Labs")
        expect(card).to_contain_text("support (")
        case = _case_of(rest, customer["id"], interaction)
        expect(card).to_contain_text(f"support ({case['id']})")
        aio.run(phone.wait_for(f"incoming {ALICE_SIP[0]} 1", within=10))
        assert not any(line.startswith("confirmed") for line in phone.lines), phone.lines  # still ringing
        assert case["status"] == "open" and case["subject"] == "support"

        aio.run(phone.send("answer"))  # alice picks up

        aio.run(phone.wait_for(f"confirmed {ALICE_SIP[0]} 1", within=10))
        work = panel.work(interaction)
        expect(work.locator(".call-state")).to_have_text("Connected")
        expect(work.locator(".customer-name")).to_have_text("Grace Hopper")
        expect(panel.offer(interaction)).to_have_count(0)
        seen = rest.ok("sam", "GET", f"/interactions/{interaction}")
        assert (seen["state"], seen["agent_id"]) == ("assigned", "alice")
        assert seen["attributes"]["caller"] == number

        status, errors = aio.run(_finished(call, within=60))
        assert status == 0, errors
        expect(work).to_have_count(0)  # the caller hung up: the call leaves the panel's work
    finally:
        aio.run(phone.close())


def test_given_no_trunk_when_alice_dials_a_customer_then_her_card_shows_the_no_trunk_answer(
    server: Server, page: Page, rest: Rest
) -> None:
    number = f"+44207946{uuid.uuid4().int % 10000:04d}"
    customer = rest.ok("crm", "POST", "/customers", {"name": "Ada Lovelace", "phone": number})
    panel = AgentPanel(page, server).open().log_in("alice")
    panel.expect_logged_in("Alice Martin")
    results = panel.search_customers(number)
    expect(results).to_have_text("Ada Lovelace")
    results.click()
    card = panel.customer_card(customer["id"])

    card.get_by_role("button", name="Dial").click()

    expect(card.locator(".dial-status")).to_have_text("no route to phone numbers: configure server.sip.trunk")
    status, answer = rest.call("alice", "POST", "/cti/dial", {"number": number})
    assert (status, answer["error_id"]) == (503, "no_trunk"), answer
    assert answer["message"] == "no route to phone numbers: configure server.sip.trunk"
