"""Click-to-dial from a customer card for real: alice's panel in Chromium dials a customer, her registered
pjsua2 phone rings and she picks up, the trunk (a SIPp UAS) gets the INVITE for the customer's number, the
panel shows the call as her connected work, and Hang up ends it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.integration.panel.agent import HOSTILE_NAME, AgentPanel
from tests.integration.panel.calls import ALICE_SIP, desk_phone, start_sip_server
from tests.integration.panel.conftest import LoopThread, Rest
from tests.integration.server.conftest import Server, serving
from tests.integration.sip.conftest import free_udp_ports
from tests.integration.voice.conftest import Caller, Step, caller, close_trunk, media, open_trunk, pcap_dir

__all__ = ["caller", "media", "pcap_dir"]  # fixtures shared with the voice tests


@pytest.fixture(scope="module")
def trunk_port() -> int:
    """Where the phone network behind the trunk (a SIPp UAS started by the test) listens."""
    return free_udp_ports(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sip_port: int, trunk_port: int) -> Iterator[Server]:
    """The demo configuration with its SIP front and a trunk to `trunk_port`."""
    folder = tmp_path_factory.mktemp("dial")
    with serving(start_sip_server(folder, sip_port=sip_port, trunk_port=trunk_port)) as srv:
        yield srv


def test_given_a_hostile_customer_name_when_agent_searches_and_dials_then_her_phone_then_the_customer_ring(
    server: Server,
    sip_port: int,
    trunk_port: int,
    page: Page,
    rest: Rest,
    aio: LoopThread,
    media: Path,
    tmp_path: Path,
) -> None:
    digits = f"{uuid.uuid4().int % 10000:04d}"
    body = {"name": HOSTILE_NAME, "phone": f"+44 20 7946 {digits}", "company": "<b>Acme</b>"}
    customer = rest.ok("crm", "POST", "/customers", body)
    trunk = aio.run(open_trunk(tmp_path / "trunk-messages.log", trunk_port))
    (tmp_path / "phone").mkdir()
    phone = aio.run(desk_phone(media, tmp_path / "phone", sip_port))
    try:
        panel = AgentPanel(page, server).open().log_in("alice")
        panel.set_state("available")
        expect(panel.state).to_have_text("Available")
        results = panel.search_customers(body["phone"])
        expect(results).to_have_text(HOSTILE_NAME)
        results.click()
        card = panel.customer_card(customer["id"])
        expect(card.locator(".customer-name")).to_have_text(HOSTILE_NAME)
        expect(card).to_contain_text("<b>Acme</b>")

        card.get_by_role("button", name="Dial").click()

        status = card.locator(".dial-status")
        expect(status).to_have_text(f"Dialling {customer['phone']}: your phone rings first.")
        aio.run(phone.wait_for(f"incoming {ALICE_SIP[0]} 1", within=10))
        assert not any(line.startswith("confirmed") for line in phone.lines), phone.lines  # still ringing
        aio.run(phone.send("answer"))  # alice picks up; then the customer's number is called
        aio.run(phone.wait_for(f"confirmed {ALICE_SIP[0]} 1", within=10))
        aio.run(trunk.answered())

        work = page.locator(".work-item")
        expect(work).to_have_count(1)
        expect(work.locator(".call-state")).to_have_text("Connected")
        expect(work.locator(".customer-name")).to_have_text(HOSTILE_NAME)
        interaction = work.get_attribute("data-interaction-id") or ""
        seen = rest.ok("sam", "GET", f"/interactions/{interaction}")
        assert (seen["state"], seen["agent_id"]) == ("assigned", "alice")
        assert seen["attributes"]["direction"] == "outbound"

        work.get_by_role("button", name="Hang up").click()

        expect(work).to_have_count(0)
        requests = aio.run(trunk.finished())
        assert requests[0] == f"INVITE sip:+44207946{digits}@127.0.0.1:{trunk_port} SIP/2.0", requests
        assert "BYE" in {line.split(" ", 1)[0] for line in requests}, requests
        aio.run(phone.wait_for(f"disconnected {ALICE_SIP[0]} 1", within=10))
        assert page.locator("#panel img, #panel script").count() == 0
        assert panel.script_ran() is None
    finally:
        aio.run(phone.close())
        aio.run(close_trunk(trunk))


def test_given_a_voicemail_left_in_the_support_queue_when_alice_takes_it_then_she_plays_it_and_calls_back(
    server: Server,
    sip_port: int,
    trunk_port: int,
    page: Page,
    rest: Rest,
    aio: LoopThread,
    caller: Caller,
    media: Path,
    tmp_path: Path,
) -> None:
    digits = f"{uuid.uuid4().int % 10000:04d}"
    number = f"+44207946{digits}"
    customer = rest.ok("crm", "POST", "/customers", {"name": "Vera Voicemail", "phone": number})
    for agent in ("alice", "bob", "carol"):
        rest.ok("sam", "PUT", f"/agents/{agent}/presence", {"state": "offline"})
    # A first call renders the IVR's prompts, so the second one's key presses meet the menu on time.
    status, errors = aio.run(caller.call(sip_port, [("pause", 12000)], number=number))
    assert status == 0, errors
    # support (2), then the queue's voicemail key (2), the beep, 4 s of message, and the caller hangs up
    steps: list[Step] = [("pause", 9000), ("dtmf", "2"), ("pause", 3000), ("dtmf", "2"), ("pause", 5000)]
    status, errors = aio.run(caller.call(sip_port, steps, number=number))
    assert status == 0, errors
    trunk = aio.run(open_trunk(tmp_path / "trunk-messages.log", trunk_port))
    (tmp_path / "phone").mkdir()
    phone = aio.run(desk_phone(media, tmp_path / "phone", sip_port))
    try:
        panel = AgentPanel(page, server).open().log_in("alice")
        panel.set_state("available")
        offer = page.locator(".offer")
        expect(offer).to_have_count(1)
        expect(offer.locator(".customer-name")).to_have_text("Vera Voicemail")
        offer.get_by_role("button", name="Accept").click()

        work = page.locator(".work-item")
        expect(work).to_have_count(1)
        work.get_by_role("button", name="Play voicemail").click()
        audio = work.locator("audio.voicemail-audio")
        expect(audio).to_have_count(1)
        duration = (
            "a => new Promise(ok => a.readyState >= 1 ? ok(a.duration)"
            " : a.onloadedmetadata = () => ok(a.duration))"
        )
        seconds = audio.evaluate(duration)
        assert 2.0 <= seconds <= 10.0, seconds  # the message, as the caller left it

        work.get_by_role("button", name=f"Call back {number}").click()

        aio.run(phone.wait_for(f"incoming {ALICE_SIP[0]} 1", within=15))
        aio.run(phone.send("answer"))  # alice picks up; then the customer's number is called
        aio.run(trunk.answered())
        call = page.locator(".work-item .call-state")
        expect(call).to_have_text("Connected")
        page.locator(".work-item").get_by_role("button", name="Hang up").click()
        requests = aio.run(trunk.finished())
        assert requests[0] == f"INVITE sip:{number}@127.0.0.1:{trunk_port} SIP/2.0", requests
        cases = rest.ok("sam", "GET", f"/cases?customer_id={customer['id']}")["items"]
        activities = [
            a for case in cases for a in rest.ok("sam", "GET", f"/cases/{case['id']}/activities")["items"]
        ]
        left = [a for a in activities if a["channel"] == "voicemail"]
        assert left and left[0]["recording_url"].startswith("/api/v1/recordings/"), activities
    finally:
        aio.run(phone.close())
        aio.run(close_trunk(trunk))
