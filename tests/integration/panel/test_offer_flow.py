"""An agent in the browser: log in, go available, get a chat offer with its pop, accept, end, wrap up."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.integration.panel.agent import HOSTILE_INPUT, HOSTILE_NAME, AgentPanel
from tests.integration.panel.conftest import Rest
from tests.integration.server.conftest import Server


def _customer(rest: Rest, name: str) -> dict[str, str]:
    phone = f"+44 20 7946 {uuid.uuid4().int % 10000:04d}"
    body = {"name": name, "phone": phone, "entitlements": [{"level": "premium", "starts": "2020-01-01"}]}
    created = rest.ok("crm", "POST", "/customers", body)
    return {"id": created["id"], "phone": created["phone"]}


def test_given_wrong_password_when_logging_in_then_the_servers_message_shows(
    page: Page, server: Server
) -> None:
    panel = AgentPanel(page, server).open().log_in("alice", "not-her-password")
    expect(page.locator("#login-error")).not_to_be_empty()
    expect(page.locator("#panel")).to_be_hidden()
    assert panel.script_ran() is None


def test_given_available_agent_when_hostile_chat_is_offered_then_pop_shows_text_and_end_updates_the_case(
    page: Page, server: Server, rest: Rest
) -> None:
    customer = _customer(rest, HOSTILE_NAME)
    panel = AgentPanel(page, server).open().log_in("alice")
    panel.expect_logged_in("Alice Martin")
    panel.set_state("available")
    expect(panel.state).to_have_text("Available")
    expect(panel.time_in_state).to_have_text(re.compile(r"^0:0\d$"))

    interaction = rest.chat(phone=customer["phone"], intent="refund", order=HOSTILE_INPUT)

    card = panel.offer(interaction)
    expect(card.locator(".customer-name")).to_have_text(HOSTILE_NAME)
    expect(card).to_contain_text(HOSTILE_INPUT)
    expect(card).to_contain_text("premium")
    expect(card).to_contain_text("refund")
    expect(card.locator(".countdown")).to_have_text(re.compile(r"^0:[0-3]\d$"))
    assert card.locator("img, script").count() == 0
    assert panel.script_ran() is None

    card.get_by_role("button", name="Accept").click()
    expect(card).to_have_count(0)
    item = panel.work(interaction)
    expect(item.locator(".customer-name")).to_have_text(HOSTILE_NAME)
    expect(item.locator(".elapsed")).to_have_text(re.compile(r"^0:0\d$"))

    item.get_by_role("button", name="End…").click()
    item.get_by_label("Disposition").select_option("resolved")
    item.get_by_label("Notes").fill("Refunded order <1234> & closed")
    item.get_by_role("button", name="End and wrap up").click()

    expect(item).to_have_count(0)
    expect(panel.state).to_have_text("Wrap-up")
    expect(page.locator("#wrap-up-left")).to_have_text(re.compile(r"^0:\d\d$"))
    expect(panel.history_row(interaction)).to_contain_text("completed")
    expect(panel.history_row(interaction).locator(".customer-name")).to_have_text(HOSTILE_NAME)
    cases = rest.ok("sam", "GET", f"/cases?customer_id={customer['id']}")["items"]
    case = next(c for c in cases if interaction in c["interaction_ids"])
    assert (case["disposition"], case["notes"]) == ("resolved", "Refunded order <1234> & closed")
    assert panel.script_ran() is None


def test_given_an_offer_when_agent_rejects_then_the_card_goes_and_the_chat_is_not_theirs(
    page: Page, server: Server, rest: Rest
) -> None:
    panel = AgentPanel(page, server).open().log_in("alice")
    panel.set_state("available")
    expect(panel.state).to_have_text("Available")
    interaction = rest.chat(name="Rita Reject")

    card = panel.offer(interaction)
    expect(card.locator(".customer-name")).to_have_text("Rita Reject")
    card.get_by_role("button", name="Reject").click()

    expect(card).to_have_count(0)
    expect(panel.work(interaction)).to_have_count(0)
    seen = rest.ok("sam", "GET", f"/interactions/{interaction}")
    assert seen["state"] != "assigned" and seen["agent_id"] != "alice", seen
