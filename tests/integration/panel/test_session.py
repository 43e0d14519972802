"""The panel keeps working across a reload and a dropped connection, and follows changes made elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.integration.panel.agent import AgentPanel
from tests.integration.panel.conftest import Rest, start_panel_server
from tests.integration.server.conftest import Server, stop_server


def test_given_a_ringing_offer_when_the_page_reloads_then_session_offer_and_pop_come_back(
    page: Page, server: Server, rest: Rest
) -> None:
    panel = AgentPanel(page, server).open().log_in("alice")
    panel.set_state("not_ready:break")
    expect(panel.state).to_have_text("Not ready · break")
    page.wait_for_timeout(2100)
    panel.set_state("available")
    expect(panel.state).to_have_text("Available")
    interaction = rest.chat(name="Olga Reload")
    expect(panel.offer(interaction).locator(".customer-name")).to_have_text("Olga Reload")
    page.wait_for_timeout(2100)

    page.reload()

    expect(page.locator("#login")).to_be_hidden()
    panel.expect_logged_in("Alice Martin")
    expect(panel.state).to_have_text("Available")
    expect(panel.time_in_state).to_have_text(re.compile(r"^0:0[2-9]$"))
    card = panel.offer(interaction)
    expect(card.locator(".customer-name")).to_have_text("Olga Reload")
    card.get_by_role("button", name="Accept").click()
    expect(panel.work(interaction)).to_be_visible()

    page.reload()
    expect(panel.work(interaction).locator(".customer-name")).to_have_text("Olga Reload")
    expect(panel.history_row(interaction)).to_contain_text("assigned")


def test_given_a_logged_in_agent_when_a_supervisor_changes_their_state_then_the_panel_shows_it(
    page: Page, server: Server, rest: Rest
) -> None:
    panel = AgentPanel(page, server).open().log_in("alice")
    panel.set_state("available")
    expect(panel.state).to_have_text("Available")

    rest.ok("sam", "PUT", "/agents/alice/presence", {"state": "not_ready", "reason": "meeting"})

    expect(panel.state).to_have_text("Not ready · meeting")
    expect(page.locator("#presence-select")).to_have_value("not_ready:meeting")
    expect(panel.time_in_state).to_have_text(re.compile(r"^0:0[0-2]$"))


def test_given_a_logged_in_agent_when_the_gateway_restarts_then_the_panel_reconnects_and_gets_offers(
    page: Page, server: Server, rest: Rest, tmp_path: Path
) -> None:
    panel = AgentPanel(page, server).open().log_in("alice")
    panel.set_state("available")
    expect(panel.state).to_have_text("Available")

    stop_server(server)
    expect(page.locator("#connection")).to_contain_text("Reconnecting")
    port = int(server.base.rsplit(":", 1)[1])
    restarted = start_panel_server(tmp_path, port=port)
    server.process = restarted.process  # the fixture stops whichever process serves now

    expect(page.locator("#connection")).to_be_hidden(timeout=15_000)
    rest.ok("alice", "PUT", "/agents/alice/presence", {"state": "available"})
    expect(panel.state).to_have_text("Available")
    interaction = rest.chat(name="Carl Comeback")
    expect(panel.offer(interaction).locator(".customer-name")).to_have_text("Carl Comeback")


def test_given_an_expired_session_when_the_page_loads_then_the_login_form_says_so(
    page: Page, server: Server
) -> None:
    page.goto(server.base + "/agent")
    stale = {"token": "not-a-token", "user": {"id": "alice", "name": "Alice Martin", "role": "agent"}}
    page.evaluate("s => sessionStorage.setItem('helpline.agent.session', JSON.stringify(s))", stale)
    page.reload()
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#login-error")).to_contain_text("log in again")
