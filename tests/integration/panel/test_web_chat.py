"""Web chat end to end in two browsers: the customer's page on ANOTHER origin embeds the widget with one
script tag; alice's and bob's panels take the chat. Pre-chat form -> offer with screen pop -> accept ->
messages both ways in order -> the customer reloads (history intact, no duplicates) -> transfer to bob, who
sees the history -> end with a disposition -> the transcript is on the customer's case (REST)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.integration.panel.agent import AgentPanel
from tests.integration.panel.conftest import Rest, start_panel_server
from tests.integration.panel.shop import start_chat, start_chat_server
from tests.integration.server.conftest import Server, serving, stop_server

TRICKY = '<b>bold?</b> <img src=x onerror="window.__xss=3"> 👩🏽‍💻 שלום e\u0301'


@pytest.fixture
def server(tmp_path: Path, site_port: int) -> Iterator[Server]:
    with serving(start_chat_server(tmp_path, site_port)) as srv:
        yield srv


def _agent(browser: Browser, server: Server, user: str) -> tuple[BrowserContext, AgentPanel]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    panel = AgentPanel(page, server).open().log_in(user)
    return context, panel


def _messages(page: Page) -> Locator:
    return page.locator("[data-testid=chat-message]")


def _seen(page: Page) -> list[tuple[str | None, str]]:
    items = _messages(page)
    return [(item.get_attribute("data-seq"), item.locator(".text").inner_text()) for item in items.all()]


def test_given_shop_page_on_another_origin_when_customer_chats_then_agents_serve_and_transcript_lands_on_case(
    browser: Browser, server: Server, rest: Rest, site: str
) -> None:
    expect.set_options(timeout=15_000)
    email = f"grace{uuid.uuid4().hex[:8]}@example.com"
    customer_id = rest.ok("crm", "POST", "/customers", {"name": "Grace Hopper", "email": email})["id"]
    for agent, state in {"alice": "available", "bob": "offline", "carol": "offline"}.items():
        rest.ok("sam", "PUT", f"/agents/{agent}/presence", {"state": state})
    alice_context, alice = _agent(browser, server, "alice")
    bob_context, bob = _agent(browser, server, "bob")
    shop_context = browser.new_context()
    try:
        alice.expect_logged_in("Alice Martin")
        shop = shop_context.new_page()
        shop.set_default_timeout(15_000)
        start_chat(shop, site, name="Grace <i>Hopper</i>", email=email, topic="support")
        expect(shop.get_by_test_id("chat-status")).to_contain_text("in line")

        offer = alice.page.locator(".offer")
        expect(offer).to_contain_text("Grace Hopper")
        interaction_id = str(offer.get_attribute("data-interaction-id"))
        conversation_id = interaction_id.rsplit("-", 1)[0]
        offer.get_by_role("button", name="Accept").click()

        window = alice.page.locator(f'.chat-window[data-conversation-id="{conversation_id}"]')
        expect(window).to_be_visible()
        expect(window.locator("h3 .customer-name")).to_have_text("Grace <i>Hopper</i>")
        assert window.locator("h3 i").count() == 0, "the name the customer typed is text"
        expect(shop.get_by_test_id("chat-status")).to_contain_text("Alice Martin")
        composer = window.locator(".chat-input")
        composer.fill("/greet")
        composer.press("Enter")
        expect(composer).to_have_value("Hello Grace, I'm Alice Martin. How can I help?")
        composer.press("Enter")
        expect(_messages(shop).last).to_contain_text("Hello Grace, I'm Alice Martin. How can I help?")

        shop_input = shop.get_by_test_id("chat-input")
        shop_input.fill(TRICKY)
        expect(window.locator(".chat-typing")).to_be_visible()
        shop.get_by_test_id("chat-send").click()
        customer_line = window.locator(".chat-message.customer .text")
        expect(customer_line).to_have_text(TRICKY)
        assert window.locator(".chat-message b, .chat-message img").count() == 0, "markup stays text"
        for text in ("First answer", "Second answer"):
            composer.fill(text)
            composer.press("Enter")
        expect(_messages(shop).last).to_contain_text("Second answer")
        expect(_messages(shop).filter(has_text=TRICKY)).to_contain_text("Read")  # alice has seen it
        before = _seen(shop)

        shop.reload()
        expect(_messages(shop)).to_have_count(len(before))
        assert _seen(shop) == before, "history intact, in order, no duplicates"
        expect(shop.get_by_test_id("chat-status")).to_contain_text("Alice Martin")

        rest.ok("sam", "PUT", "/agents/bob/presence", {"state": "available"})
        transfer = window.locator(".chat-transfer")
        transfer.get_by_label("Transfer to").fill("agent:bob")
        transfer.get_by_label("Transfer note").fill("Router model X200")
        transfer.get_by_role("button", name="Transfer").click()
        expect(window).to_contain_text("Transferred.")
        bob.page.locator(".offer").get_by_role("button", name="Accept").click()
        bob_window = bob.page.locator(f'.chat-window[data-conversation-id="{conversation_id}"]')
        expect(bob_window.locator(".chat-message.customer .text")).to_have_text(TRICKY)
        expect(bob_window.locator(".chat-message.whisper")).to_contain_text("Router model X200")
        expect(bob_window).to_contain_text("Second answer")
        expect(shop.get_by_test_id("chat-status")).to_contain_text("Bob Okafor")
        assert "Router model X200" not in shop.get_by_test_id("chat-log").inner_text()

        bob_window.get_by_role("button", name="End chat").click()
        bob_window.locator("select[name=disposition]").select_option("resolved")
        bob_window.get_by_role("button", name="End and wrap up").click()
        expect(shop.get_by_test_id("chat-status")).to_have_text("The chat has ended.")
        expect(shop.get_by_test_id("chat-transcript")).to_be_visible()
        assert alice.script_ran() is None and bob.script_ran() is None
        assert shop.evaluate("() => window.__xss ?? null") is None
    finally:
        shop_context.close()
        alice_context.close()
        bob_context.close()

    cases = rest.ok("sam", "GET", f"/cases?customer_id={customer_id}")["items"]
    activities = [a for c in cases for a in rest.ok("sam", "GET", f"/cases/{c['id']}/activities")["items"]]
    url = f"/api/v1/chats/{conversation_id}/transcript"
    ended = [a for a in activities if a["transcript_url"] == url and a["agent_id"] == "bob"]
    assert ended and ended[0]["disposition"] == "resolved", activities
    transcript = rest.api.get(
        server.base + url, headers={"Authorization": f"Bearer {rest.token('sam')}"}
    ).text()
    assert TRICKY in transcript and "Agents: Alice Martin, Bob Okafor" in transcript


def test_given_chat_in_two_browsers_when_gateway_restarts_then_both_carry_on_and_see_each_message_once(
    browser: Browser, server: Server, rest: Rest, site: str, tmp_path: Path
) -> None:
    expect.set_options(timeout=30_000)
    for agent, state in {"alice": "available", "bob": "offline", "carol": "offline"}.items():
        rest.ok("sam", "PUT", f"/agents/{agent}/presence", {"state": state})
    alice_context, alice = _agent(browser, server, "alice")
    shop_context = browser.new_context()
    try:
        alice.expect_logged_in("Alice Martin")
        shop = shop_context.new_page()
        start_chat(shop, site, name="Rita Restart", email="rita@example.com", topic="billing")
        alice.page.locator(".offer").get_by_role("button", name="Accept").click()
        window = alice.page.locator(".chat-window")
        composer = window.locator(".chat-input")
        shop.get_by_test_id("chat-input").fill("before the restart")
        shop.get_by_test_id("chat-send").click()
        expect(window.locator(".chat-message.customer .text")).to_have_text(["before the restart"])

        stop_server(server)
        server.process = start_panel_server(
            tmp_path, port=int(server.base.rsplit(":", 1)[1]), config=tmp_path / "helpline.yaml"
        ).process

        shop.get_by_test_id("chat-input").fill("after the restart")
        shop.get_by_test_id("chat-send").click()
        expect(window.locator(".chat-message.customer .text")).to_have_text(
            ["before the restart", "after the restart"]
        )
        composer.fill("still here")
        composer.press("Enter")
        expect(_messages(shop).filter(has_text="still here")).to_have_count(1)
        seen = _seen(shop)
        assert len({seq for seq, _ in seen}) == len(seen), "no message twice"
        texts = [text for _, text in seen]
        assert (
            texts.index("before the restart") < texts.index("after the restart") < texts.index("still here")
        )
    finally:
        shop_context.close()
        alice_context.close()


def test_given_two_chats_read_and_a_help_flag_when_agent_and_customer_reload_then_marks_counts_and_flag_stay(
    browser: Browser, server: Server, rest: Rest, site: str
) -> None:
    expect.set_options(timeout=15_000)
    for agent, state in {"alice": "available", "bob": "offline", "carol": "offline"}.items():
        rest.ok("sam", "PUT", f"/agents/{agent}/presence", {"state": state})
    alice_context, alice = _agent(browser, server, "alice")
    ann_context, ben_context = browser.new_context(), browser.new_context()
    try:
        alice.expect_logged_in("Alice Martin")
        ann, ben = ann_context.new_page(), ben_context.new_page()
        for shop, name in ((ann, "Ann First"), (ben, "Ben Second")):
            shop.set_default_timeout(15_000)
            start_chat(shop, site, name=name, email=f"{uuid.uuid4().hex[:8]}@example.com", topic="support")
            offer = alice.page.locator(".offer").filter(has_text=name)
            offer.get_by_role("button", name="Accept").click()
            expect(shop.get_by_test_id("chat-status")).to_contain_text("Alice Martin")
        ben_tab = alice.page.locator(".chat-tab").filter(has_text="Ben Second")
        ann_tab = alice.page.locator(".chat-tab").filter(has_text="Ann First")
        ben_window = alice.page.locator(
            f'.chat-window[data-conversation-id="{ben_tab.get_attribute("data-conversation-id")}"]'
        )
        ann_window = alice.page.locator(
            f'.chat-window[data-conversation-id="{ann_tab.get_attribute("data-conversation-id")}"]'
        )
        expect(ann_window).to_be_visible()  # the first chat's window is the one shown

        ben.get_by_test_id("chat-input").fill("Where is my parcel?")
        ben.get_by_test_id("chat-send").click()
        expect(ben_tab.locator(".unread")).to_have_text("1")
        ben_tab.click()
        expect(_messages(ben).filter(has_text="Where is my parcel?")).to_contain_text("Read")
        ben_window.locator(".chat-input").fill("On its way")
        ben_window.locator(".chat-input").press("Enter")
        expect(ben_window.locator(".chat-message.agent", has_text="On its way")).to_contain_text("Read")
        ann_tab.click()
        ben.get_by_test_id("chat-input").fill("And the invoice?")
        ben.get_by_test_id("chat-send").click()
        expect(ben_tab.locator(".unread")).to_have_text("1")
        ann_window.get_by_role("button", name="Ask for help").click()
        expect(ann_window.locator(".chat-help")).to_have_text("Lower help flag")

        alice.page.reload()
        expect(ann_window).to_be_visible()
        expect(ben_tab.locator(".unread")).to_have_text("1")  # the question she had not read, not both
        expect(ann_tab.locator(".unread")).to_have_count(0)
        expect(ann_window.locator(".chat-help")).to_have_text("Lower help flag")
        expect(ann_window.locator(".chat-help")).to_have_attribute("aria-pressed", "true")
        expect(ben_window.locator(".chat-message.agent .read")).to_have_count(1)  # Ben read "On its way"

        ben.reload()
        expect(_messages(ben).filter(has_text="And the invoice?")).to_have_count(1)
        expect(_messages(ben).filter(has_text="Where is my parcel?")).to_contain_text("Read")
        expect(_messages(ben).filter(has_text="And the invoice?")).not_to_contain_text("Read")
    finally:
        ann_context.close()
        ben_context.close()
        alice_context.close()
