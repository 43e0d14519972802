"""A supervisor and a live web chat in three browsers (the customer's widget on the shop's page, alice's
panel, sam's console): sam reads the chat as it happens with the customer's typing, whispers to alice (the
customer never sees it), sees the help flag alice raises, and takes the chat over: alice is released into
wrap-up and the customer carries on with sam."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.integration.panel.agent import AgentPanel
from tests.integration.panel.conftest import Rest
from tests.integration.panel.console import ConsolePage
from tests.integration.panel.shop import start_chat, start_chat_server
from tests.integration.server.conftest import Server, serving


@pytest.fixture
def server(tmp_path: Path, site_port: int) -> Iterator[Server]:
    """The chat demo with a 30 s wrap-up on the chat queue, so a released agent is seen in wrap-up."""
    with serving(start_chat_server(tmp_path, site_port, wrap_up_seconds=30)) as srv:
        yield srv


def test_given_live_chat_when_supervisor_monitors_whispers_and_takes_over_then_customer_chats_on_with_them(
    browser: Browser, server: Server, rest: Rest, site: str
) -> None:
    expect.set_options(timeout=15_000)
    for agent, state in {"alice": "available", "bob": "offline", "carol": "offline"}.items():
        rest.ok("sam", "PUT", f"/agents/{agent}/presence", {"state": state})
    contexts = [browser.new_context(viewport={"width": 1280, "height": 1000}) for _ in range(3)]
    try:
        shop, alice_page, sam_page = (c.new_page() for c in contexts)
        for page in (shop, alice_page, sam_page):
            page.set_default_timeout(15_000)
        alice = AgentPanel(alice_page, server).open().log_in("alice")
        alice.expect_logged_in("Alice Martin")
        console = ConsolePage(sam_page, server).open().log_in("sam")
        console.expect_live("Sam Patel")
        expect(sam_page.locator("#monitor-empty")).to_be_visible()

        start_chat(shop, site, name="Ada <b>Lovelace</b>", email="ada@example.com", topic="support")
        offer = alice_page.locator(".offer")
        conversation_id = str(offer.get_attribute("data-interaction-id")).rsplit("-", 1)[0]
        offer.get_by_role("button", name="Accept").click()
        window = alice_page.locator(f'.chat-window[data-conversation-id="{conversation_id}"]')
        expect(window).to_be_visible()

        # the console lists the chat with its agent; sam opens it and reads along
        row = sam_page.locator(f'#monitor-chats li[data-conversation-id="{conversation_id}"]')
        expect(row).to_contain_text("Alice Martin")
        expect(row.locator(".who")).to_have_text("Ada <b>Lovelace</b>")
        row.get_by_role("button", name="Monitor chat with Ada <b>Lovelace</b>").click()
        log = sam_page.locator("#monitor-log")
        expect(log).to_contain_text("Alice Martin joined the chat.")
        shop_input = shop.get_by_test_id("chat-input")
        shop_input.fill("My router")
        expect(sam_page.locator("#monitor-typing")).to_have_text("The customer is typing…")
        shop_input.fill("My router blinks red")
        shop.get_by_test_id("chat-send").click()
        expect(log.locator(".chat-message.customer .text")).to_have_text("My router blinks red")

        # whisper: in alice's window as a whisper, never on the shop's page
        whisper = sam_page.locator("#monitor-whisper")
        whisper.get_by_label("Whisper to the agent").fill("Ask for the model number")
        whisper.get_by_role("button", name="Whisper").click()
        expect(window.locator(".chat-message.whisper")).to_contain_text("Ask for the model number")
        expect(log.locator(".chat-message.whisper")).to_contain_text("Ask for the model number")
        composer = window.locator(".chat-input")
        composer.fill("Which model is it?")
        composer.press("Enter")
        expect(shop.get_by_test_id("chat-log")).to_contain_text("Which model is it?")
        expect(log).to_contain_text("Which model is it?")
        assert "Ask for the model number" not in shop.get_by_test_id("chat-log").inner_text()

        # help flag: alice raises it, the console shows it; lowering clears it; raised again
        help_button = window.get_by_role("button", name="Ask for help")
        help_button.click()
        expect(row.locator(".help-flag")).to_have_text("Needs help")
        window.get_by_role("button", name="Lower help flag").click()
        expect(row.locator(".help-flag")).to_have_count(0)
        window.get_by_role("button", name="Ask for help").click()
        expect(row.locator(".help-flag")).to_have_text("Needs help")

        # take over: alice is released into wrap-up, the customer chats on with sam
        sam_page.get_by_role("button", name="Take over").click()
        expect(window).to_contain_text("Taken over by Sam Patel.")
        expect(alice.state).to_have_text("Wrap-up")
        expect(shop.get_by_test_id("chat-status")).to_contain_text("Sam Patel")
        expect(row.locator(".help-flag")).to_have_count(0)
        expect(log).to_contain_text("Sam Patel took over the chat.")
        reply = sam_page.locator("#monitor-reply")
        reply.get_by_label("Reply to the customer").fill("Hello Ada, I am taking over.")
        reply.get_by_role("button", name="Send").click()
        expect(shop.get_by_test_id("chat-log")).to_contain_text("Hello Ada, I am taking over.")
        shop_input.fill("Thanks, it is an X200")
        shop.get_by_test_id("chat-send").click()
        expect(log.locator(".chat-message.customer .text").last).to_have_text("Thanks, it is an X200")
        # read receipts between the customer and sam, as with an agent
        shop_said = shop.get_by_test_id("chat-message").filter(has_text="Thanks, it is an X200")
        expect(shop_said).to_contain_text("Read")
        expect(log.locator(".chat-message.agent", has_text="Hello Ada, I am taking over.")).to_contain_text(
            "Read"
        )
        expect(window).not_to_contain_text("Thanks, it is an X200")
        assert "Ask for the model number" not in shop.get_by_test_id("chat-log").inner_text()
        assert sam_page.locator("#monitor-log b").count() == 0 and shop.locator(".log b").count() == 0

        shop.get_by_test_id("chat-end").click()
        expect(sam_page.locator("#monitor-status")).to_have_text("Ended by the customer.")
        expect(row).to_have_count(0)
    finally:
        for context in contexts:
            context.close()

    actions = [
        (i["by"], i["action"])
        for i in rest.ok("sam", "GET", "/supervisor/audit")["items"]
        if i["details"].get("target") == conversation_id
    ]
    assert sorted(actions) == [("sam", "chat_monitor"), ("sam", "chat_take_over"), ("sam", "chat_whisper")]
