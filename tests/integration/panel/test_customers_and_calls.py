"""Click-to-dial from a customer card, and call controls that show the gateway's own answer."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.integration.panel.agent import HOSTILE_NAME, AgentPanel
from tests.integration.panel.conftest import Rest
from tests.integration.server.conftest import Server


def test_given_a_hostile_customer_name_when_agent_searches_and_dials_then_text_and_dial_answer_show(
    page: Page, server: Server, rest: Rest
) -> None:
    phone = f"+44 20 7946 {uuid.uuid4().int % 10000:04d}"
    created = rest.ok(
        "crm", "POST", "/customers", {"name": HOSTILE_NAME, "phone": phone, "company": "<b>Acme</b>"}
    )
    panel = AgentPanel(page, server).open().log_in("alice")
    panel.expect_logged_in("Alice Martin")

    page.get_by_label("Search customers").fill(phone)
    page.locator("#customer-search").get_by_role("button", name="Search").click()
    result = page.locator(".customer-result")
    expect(result).to_have_text(HOSTILE_NAME)
    result.click()

    card = page.locator(f'.customer[data-customer-id="{created["id"]}"]')
    expect(card.locator(".customer-name")).to_have_text(HOSTILE_NAME)
    expect(card).to_contain_text("<b>Acme</b>")
    card.get_by_role("button", name="Dial").click()

    status, answer = rest.call(
        "alice", "POST", "/cti/dial", {"number": created["phone"], "customer_id": created["id"]}
    )
    expected = f"Dialling {created['phone']}" if status == 202 else answer["message"]
    expect(card.locator(".dial-status")).to_contain_text(expected)
    assert page.locator("#panel img, #panel script").count() == 0
    assert panel.script_ran() is None


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
