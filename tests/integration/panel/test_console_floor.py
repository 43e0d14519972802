"""The supervisor's console on a big floor, in Chromium: only the agent rows in view are drawn, and an agent
far down the list, changed while out of view, shows its new state once scrolled to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from bench.wallboard import SUPERVISOR, write_config
from tests.integration.panel.conftest import PASSWORDS, Rest, start_panel_server
from tests.integration.panel.console import ConsolePage
from tests.integration.server.conftest import Server, stop_server

AGENTS = 300
LAST = f"a{AGENTS - 1}"
_IN_BOX = """row => {
  const r = row.getBoundingClientRect();
  const box = document.getElementById("agent-scroll").getBoundingClientRect();
  return r.height > 0 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
}"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    config = tmp_path / "floor.yaml"
    config.write_text(yaml.safe_dump(write_config(AGENTS, 5), sort_keys=False), encoding="utf-8")
    srv = start_panel_server(tmp_path, config=config)
    yield srv
    assert srv.alive(), "the server died during the test:\n" + srv.log_text()
    stop_server(srv)


@pytest.fixture
def rest(rest: Rest) -> Rest:
    PASSWORDS[SUPERVISOR[0]] = SUPERVISOR[1]
    return rest


def test_given_300_agents_when_one_far_down_changes_then_it_shows_its_new_state_when_scrolled_into_view(
    page: Page, server: Server, rest: Rest
) -> None:
    console = ConsolePage(page, server).open().log_in(*SUPERVISOR)
    console.expect_live(SUPERVISOR[0])
    expect(console.agent("a0").locator(".state")).to_have_text("offline")
    drawn = page.locator("#agent-rows tr[data-agent]")
    assert 0 < drawn.count() < 60  # the rows in view and a few more, not 300
    expect(console.agent(LAST)).to_have_count(0)

    # changed out of view, then a0 (in view): changes come in order, so a0's shows that LAST's has arrived
    presence = {"state": "not_ready", "reason": "coaching"}
    rest.ok(SUPERVISOR[0], "PUT", f"/agents/{LAST}/presence", presence)
    rest.ok(SUPERVISOR[0], "PUT", "/agents/a0/presence", {"state": "available", "reason": None})
    expect(console.agent("a0").locator(".state")).to_have_text("available")
    expect(console.agent(LAST)).to_have_count(0)

    page.locator("#agent-scroll").evaluate("box => { box.scrollTop = box.scrollHeight; }")
    expect(console.agent(LAST).locator(".state")).to_have_text("not ready: coaching")
    assert console.agent(LAST).evaluate(_IN_BOX)  # drawn where the box shows it
    expect(console.agent("a0")).to_have_count(0)  # scrolled out of view: no longer drawn
    assert drawn.count() < 60

    # the supervisor's control on the row drawn on scrolling acts on that agent
    console.set_agent_state(LAST, "available")
    expect(console.agent(LAST).locator(".state")).to_have_text("available")

    page.locator("#agent-scroll").evaluate("box => { box.scrollTop = 0; }")
    expect(console.agent("a0").locator(".state")).to_have_text("available")
