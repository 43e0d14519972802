"""Call controls that show the gateway's own answer (click-to-dial from a customer card, over real SIP, is in
test_click_to_dial.py)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.integration.panel.agent import AgentPanel
from tests.integration.panel.conftest import Rest
from tests.integration.server.conftest import Server


def test_given_an_accepted_call_when_a_call_control_fails_then_the_servers_message_shows(
    page: Page, server: Server, rest: Rest
) -> None:
    panel = AgentPanel(page, server).open().log_in("alice")
    panel.set_state("available")
    expect(panel.state).to_have_text("Available")
    body = {
        "channel": "voice",
        "queue": "billing",
        "attributes": {"caller": "+442079460000"},
        "preferred_agent": "alice",
    }
    interaction = str(rest.ok("crm", "POST", "/interactions", body)["id"])
    panel.offer(interaction).get_by_role("button", name="Accept").click()
    item = panel.work(interaction)
    expect(item.get_by_role("button", name="Hang up")).to_be_visible()
    expect(item.get_by_role("button", name="Transfer")).to_be_visible()

    item.get_by_role("button", name="Hold").click()

    error = item.locator(".work-error")
    expect(error.or_(item.get_by_role("button", name="Resume"))).to_be_visible()
    if error.text_content():
        status, answer = rest.call("alice", "POST", f"/interactions/{interaction}/hold", {})
        assert status >= 400
        expect(error).to_have_text(answer["message"])
