"""Logging out of the panel ends the token at the gateway; a revoked session takes the panel back to login."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.integration.panel.agent import AgentPanel
from tests.integration.panel.conftest import Rest
from tests.integration.server.conftest import Server


def _panel_token(page: Page) -> str:
    return str(page.evaluate("() => JSON.parse(sessionStorage.getItem('helpline.agent.session')).token"))


def test_given_a_logged_in_agent_when_clicking_log_out_then_the_login_form_shows_and_the_token_is_revoked(
    page: Page, server: Server, rest: Rest
) -> None:
    panel = AgentPanel(page, server).open().log_in("alice")
    panel.expect_logged_in("Alice Martin")
    token = _panel_token(page)

    page.get_by_role("button", name="Log out").click()

    expect(page.locator("#login")).to_be_visible()
    statuses: list[tuple[int, str]] = []
    for _ in range(50):  # the panel's logout request is on its way
        response = rest.api.get(server.base + "/api/v1/agents", headers={"Authorization": f"Bearer {token}"})
        statuses.append((response.status, response.json().get("error_id", "")))
        if response.status == 401:
            break
        page.wait_for_timeout(100)
    assert statuses[-1] == (401, "revoked_token"), statuses


def test_given_an_open_panel_when_an_admin_revokes_the_agent_then_the_panel_asks_to_log_in_again(
    page: Page, server: Server, rest: Rest
) -> None:
    panel = AgentPanel(page, server).open().log_in("alice")
    panel.expect_logged_in("Alice Martin")
    panel.set_state("available")
    expect(panel.state).to_have_text("Available")

    rest.ok("ada", "POST", "/auth/revocations", {"user_id": "alice"})

    expect(page.locator("#login")).to_be_visible()
    # whichever tells the page first (its socket, or a REST call refused), it says the same
    expect(page.locator("#login-error")).to_contain_text("Your session has ended: the token has been revoked")
    panel.log_in("alice")
    panel.expect_logged_in("Alice Martin")
