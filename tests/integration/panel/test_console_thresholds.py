"""The wallboard colours each figure that breaches its configured threshold, as time goes by and as work is
answered: an agent not ready too long, a queue's oldest wait, its ASA; a service level at its target is
shown as met."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import BrowserContext, Page, expect

from tests.integration.panel.agent import AgentPanel
from tests.integration.panel.conftest import Rest, start_panel_server
from tests.integration.panel.console import ConsolePage
from tests.integration.server.conftest import DEMO, Server, stop_server

THRESHOLDS = {"longest_wait_seconds": 2, "asa_seconds": 2, "not_ready_seconds": 2}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    config = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    config["wallboard"] = {"thresholds": THRESHOLDS}
    path = tmp_path / "helpline.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    srv = start_panel_server(tmp_path, config=path)
    yield srv
    assert srv.alive(), "the server died during the test:\n" + srv.log_text()
    stop_server(srv)


def test_given_short_thresholds_when_alice_stays_not_ready_and_a_chat_waits_then_those_figures_turn_red(
    page: Page, context: BrowserContext, server: Server, rest: Rest
) -> None:
    console = ConsolePage(page, server).open().log_in("sam")
    console.expect_live("Sam Patel")
    alice = AgentPanel(context.new_page(), server).open().log_in("alice")
    alice.expect_logged_in("Alice Martin")

    rest.ok("sam", "PUT", "/agents/alice/presence", {"state": "not_ready", "reason": "meeting"})
    not_ready_for = console.agent("alice").locator("td.since")
    expect(console.agent("alice").locator(".state")).to_have_text("not ready: meeting")
    expect(not_ready_for).to_have_attribute("data-breach", "true")  # past 2 s, ticking in the page
    expect(not_ready_for).to_have_class("since breach")

    interaction = rest.chat(name="Rhea Red")
    expect(console.queue("web-chat", "waiting")).to_have_text("1")
    expect(console.queue("web-chat", "waiting")).to_have_attribute("data-breach", "false")  # 5 by default
    expect(console.queue("web-chat", "longest_wait")).to_have_attribute("data-breach", "true")
    expect(console.queue("web-chat", "asa")).to_have_attribute("data-breach", "false")  # nothing answered yet

    alice.set_state("available")
    alice.offer(interaction).get_by_role("button", name="Accept").click()
    expect(console.queue("web-chat", "answered")).to_have_text("1")
    expect(console.queue("web-chat", "asa")).to_have_attribute("data-breach", "true")  # waited over 2 s
    expect(console.queue("web-chat", "longest_wait")).to_have_text("\u2013")  # nobody waits now (a dash)
    expect(console.queue("web-chat", "longest_wait")).to_have_attribute("data-breach", "false")
    # answered within the queue's own service-level threshold: at target, shown as met
    expect(console.queue("web-chat", "service_level")).to_have_text("100% / 80%")
    expect(console.queue("web-chat", "service_level")).to_have_class("met")
    expect(console.agent("alice").locator("td.since")).to_have_attribute("data-breach", "false")  # busy now
