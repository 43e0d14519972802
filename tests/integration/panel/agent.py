"""The agent panel as a test drives it: log in, change state, find offers and work by interaction id."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from tests.integration.server.conftest import Server

# Hostile input a customer or an integration could send: it must show as text and never run.
HOSTILE_NAME = '<img src=x onerror="window.__xss=1">Mallory'
HOSTILE_INPUT = "<script>window.__xss=2</script>1234"


class AgentPanel:
    def __init__(self, page: Page, server: Server) -> None:
        self.page, self.server = page, server

    def open(self) -> AgentPanel:
        self.page.goto(self.server.base + "/agent")
        return self

    def log_in(self, user: str, password: str | None = None) -> AgentPanel:
        form = self.page.locator("#login-form")
        form.get_by_label("User").fill(user)
        form.get_by_label("Password").fill(password or f"{user}-demo")
        form.get_by_role("button", name="Log in").click()
        return self

    def expect_logged_in(self, name: str) -> None:
        expect(self.page.locator("#panel")).to_be_visible()
        expect(self.page.locator("#agent-name")).to_have_text(name)

    def set_state(self, value: str) -> None:
        self.page.locator("#presence-select").select_option(value)

    @property
    def state(self) -> Locator:
        return self.page.locator("#presence-state")

    @property
    def time_in_state(self) -> Locator:
        return self.page.locator("#presence-timer")

    def search_customers(self, query: str) -> Locator:
        """Search the CRM from the panel; the result entries."""
        self.page.get_by_label("Search customers").fill(query)
        self.page.locator("#customer-search").get_by_role("button", name="Search").click()
        return self.page.locator(".customer-result")

    def customer_card(self, customer_id: str) -> Locator:
        return self.page.locator(f'.customer[data-customer-id="{customer_id}"]')

    def offer(self, interaction_id: str) -> Locator:
        return self.page.locator(f'.offer[data-interaction-id="{interaction_id}"]')

    def work(self, interaction_id: str) -> Locator:
        return self.page.locator(f'.work-item[data-interaction-id="{interaction_id}"]')

    def history_row(self, interaction_id: str) -> Locator:
        return self.page.locator(f'#history-rows tr[data-interaction-id="{interaction_id}"]')

    def script_ran(self) -> object:
        return self.page.evaluate("() => window.__xss ?? null")
