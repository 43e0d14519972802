"""What the queue says about an offer, seen in the browser: a rejected chat goes back to the queue and
not to the agent again; an offer left to time out leaves the card, puts the agent in not_ready("missed")
and keeps the chat's place in line; presence changed in the panel reaches the supervisors' socket."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.integration.panel.agent import AgentPanel
from tests.integration.panel.conftest import LoopThread, Rest, start_panel_server
from tests.integration.server.conftest import DEMO, Server, stop_server
from tests.integration.server.test_routing_api import Listener

OFFER_TIMEOUT = 3  # seconds, for the web-chat queue of these tests (the demo's is 30)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    demo = DEMO.read_text(encoding="utf-8")
    chat = demo.index("  - id: web-chat")
    timeout = demo.index("offer_timeout_seconds: 30", chat)
    config = tmp_path / "helpline.yaml"
    config.write_text(
        demo[:timeout] + f"offer_timeout_seconds: {OFFER_TIMEOUT}" + demo[timeout + 25 :], encoding="utf-8"
    )
    srv = start_panel_server(tmp_path, config=config)
    yield srv
    assert srv.alive(), "the server died during the test:\n" + srv.log_text()
    stop_server(srv)


def _chat(rest: Rest, name: str) -> dict[str, Any]:
    """A web chat for whoever the queue picks."""
    body = {"channel": "chat", "queue": "web-chat", "attributes": {"name": name}}
    return dict(rest.ok("crm", "POST", "/interactions", body))


def _available(page: Page, server: Server, user: str) -> AgentPanel:
    panel = AgentPanel(page, server).open().log_in(user)
    panel.set_state("available")
    expect(panel.state).to_have_text("Available")
    return panel


def test_given_alice_rejects_a_chat_then_it_waits_again_and_goes_to_bob_not_back_to_her(
    page: Page, server: Server, rest: Rest
) -> None:
    panel = _available(page, server, "alice")
    chat = _chat(rest, "Rita Reject")
    card = panel.offer(chat["id"])
    expect(card.locator(".customer-name")).to_have_text("Rita Reject")

    card.get_by_role("button", name="Reject").click()

    expect(card).to_have_count(0)
    seen = rest.ok("sam", "GET", f"/interactions/{chat['id']}")
    assert (seen["state"], seen["agent_id"]) == ("waiting", None), seen
    expect(panel.state).to_have_text("Available")  # a reject is not a miss
    rest.ok("sam", "PUT", "/agents/bob/presence", {"state": "available"})
    seen = rest.ok("sam", "GET", f"/interactions/{chat['id']}")
    assert (seen["state"], seen["agent_id"]) == ("offered", "bob"), seen
    expect(panel.offer(chat["id"])).to_have_count(0)
    expect(page.locator(".offer")).to_have_count(0)


def test_given_an_offer_nobody_answers_when_it_times_out_then_alice_is_missed_and_the_chat_keeps_its_place(
    page: Page, server: Server, rest: Rest
) -> None:
    panel = _available(page, server, "alice")
    first = _chat(rest, "Tim Timeout")
    card = panel.offer(first["id"])
    expect(card.locator(".customer-name")).to_have_text("Tim Timeout")

    expect(card).to_have_count(0, timeout=(OFFER_TIMEOUT + 10) * 1000)

    expect(panel.state).to_have_text("Not ready · missed")
    seen = rest.ok("sam", "GET", f"/interactions/{first['id']}")
    assert (seen["state"], seen["agent_id"]) == ("waiting", None), seen
    assert seen["created_at"] == first["created_at"]
    later = _chat(rest, "Lena Later")
    before = time.time()
    (stats,) = rest.ok("sam", "GET", "/stats/queues?queue=web-chat")["items"]
    assert stats["waiting"] == 2
    # Still first in line: the oldest wait is the first chat's whole wait, not counted from its time-out.
    assert stats["oldest_wait_seconds"] >= before - first["created_at"], (stats, first, later)
    expect(page.locator(".offer")).to_have_count(0)


def test_given_a_supervisor_socket_when_alice_changes_state_in_her_panel_then_the_supervisor_hears_it(
    page: Page, server: Server, rest: Rest, aio: LoopThread
) -> None:
    supervisor = aio.run(_supervisor(server, rest.token("sam")))
    try:
        panel = _available(page, server, "alice")
        heard = aio.run(_presence_of(supervisor, "alice", "available"))
        assert heard["data"]["presence"]["reason"] is None

        panel.set_state("not_ready:lunch")

        expect(panel.state).to_have_text("Not ready · lunch")
        heard = aio.run(_presence_of(supervisor, "alice", "not_ready"))
        assert heard["data"]["presence"]["reason"] == "lunch"
    finally:
        aio.run(supervisor.close())


async def _supervisor(server: Server, token: str) -> Listener:
    listener = Listener("/supervisor", events=True)  # made on the loop it listens on
    await listener.connect(server, token)
    return listener


async def _presence_of(listener: Listener, agent: str, kind: str) -> dict[str, Any]:
    while True:
        event = await listener.next("event", match={"type": "presence_changed", "agent_id": agent})
        if event["data"]["presence"]["kind"] == kind:
            return event
