"""The supervisor's console as a test drives it: log in, read a queue's or an agent's figures, act."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.integration.server.conftest import Server

# The columns of the queue table, in order after the queue's name.
QUEUE_COLUMNS = (
    "waiting",
    "longest_wait",
    "available",
    "ringing",
    "busy",
    "not_ready",
    "wrap_up",
    "offered",
    "answered",
    "abandoned",
    "service_level",
    "asa",
    "aht",
    "abandonment",
)


class ConsolePage:
    def __init__(self, page: Page, server: Server) -> None:
        self.page, self.server = page, server

    def open(self) -> ConsolePage:
        self.page.goto(self.server.base + "/supervisor")
        return self

    def log_in(self, user: str, password: str | None = None) -> ConsolePage:
        form = self.page.locator("#login-form")
        form.get_by_label("User").fill(user)
        form.get_by_label("Password").fill(password or f"{user}-demo")
        form.get_by_role("button", name="Log in").click()
        return self

    def expect_live(self, name: str) -> None:
        expect(self.page.locator("#console")).to_be_visible()
        expect(self.page.locator("#user-name")).to_have_text(name)
        expect(self.page.locator("#connection")).to_have_text("live")
        expect(self.page.locator("#queue-rows tr")).not_to_have_count(0)  # the board came on connect

    def queue(self, queue_id: str, column: str) -> Locator:
        """One figure of a queue's row (see QUEUE_COLUMNS)."""
        index = QUEUE_COLUMNS.index(column) + 1  # after the name
        return self.page.locator(f'#queue-rows tr[data-queue="{queue_id}"] > td').nth(index - 1)

    def agent(self, agent_id: str) -> Locator:
        return self.page.locator(f'#agent-rows tr[data-agent="{agent_id}"]')

    def work(self, interaction_id: str) -> Locator:
        return self.page.locator(f'#work-rows li[data-interaction="{interaction_id}"]')

    def set_agent_state(self, agent_id: str, state: str, reason: str = "") -> None:
        row = self.agent(agent_id)
        row.get_by_label(re.compile("^New state for")).select_option(state)
        row.locator("input").fill(reason)
        row.get_by_role("button", name="Apply").click()

    def on_call(self, agent_id: str, button: str, mode: str | None = None) -> None:
        """On the agent's connected call: "Join call" or "Change" (in `mode`), "Leave"."""
        row = self.agent(agent_id)
        if mode is not None:
            row.get_by_label(re.compile("call as$")).select_option(mode)
        row.get_by_role("button", name=button, exact=True).click()
