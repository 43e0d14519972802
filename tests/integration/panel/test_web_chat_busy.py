"""The widget when every agent is busy, in Chromium on a shop's page on another origin: the chat queue holds
its `max_length` of waiting chats, so the pre-chat form becomes an offline message. A customer whose form was
shown before the queue filled up keeps what they typed and is asked for a message instead; the widget says a
case was opened only when one was."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, expect

from tests.integration.chat.conftest import chat_config
from tests.integration.chat.test_queue_full import full_queue_config
from tests.integration.panel.conftest import Rest, start_panel_server
from tests.integration.panel.shop import start_chat
from tests.integration.server.conftest import Server, serving


@pytest.fixture
def server(tmp_path: Path, site_port: int) -> Iterator[Server]:
    path = chat_config(tmp_path, origins=(f"http://127.0.0.1:{site_port}",))
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    full_queue_config(config)
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    with serving(start_panel_server(tmp_path, config=path)) as srv:
        yield srv


def test_given_form_shown_when_the_queue_fills_before_it_is_sent_then_the_customer_leaves_a_message_instead(
    browser: Browser, server: Server, rest: Rest, site: str
) -> None:
    expect.set_options(timeout=15_000)
    for agent in ("alice", "bob", "carol"):
        rest.ok("sam", "PUT", f"/agents/{agent}/presence", {"state": "offline"})
    email = f"grace{uuid.uuid4().hex[:8]}@example.com"
    rest.ok("crm", "POST", "/customers", {"name": "Grace Hopper", "email": email})
    grace_context, wanda_context, nina_context = (
        browser.new_context(),
        browser.new_context(),
        browser.new_context(),
    )
    try:
        grace = grace_context.new_page()
        grace.goto(site)
        grace.get_by_test_id("chat-open").click()
        form = grace.get_by_test_id("chat-form")
        expect(grace.get_by_test_id("chat-status")).to_contain_text("an agent will join you")
        form.get_by_label("Your name").fill("Grace Hopper")
        form.get_by_label("E-mail").fill(email)
        form.get_by_label("Topic").select_option("support")

        wanda = wanda_context.new_page()
        start_chat(wanda, site, name="Wanda Waiting", email="wanda@example.com", topic="support")
        expect(wanda.get_by_test_id("chat-status")).to_contain_text("in line")  # the queue is full now

        form.get_by_role("button", name="Start chat").click()
        expect(grace.get_by_test_id("chat-status")).to_contain_text("All our agents are busy")
        expect(form.get_by_label("Your name")).to_have_value("Grace Hopper")
        expect(form.get_by_label("E-mail")).to_have_value(email)
        form.get_by_label("Message").fill("Please call me back about my router")
        form.get_by_role("button", name="Send message").click()
        expect(grace.get_by_test_id("chat-offline")).to_have_text(
            "Thank you: your message was received and a case was opened."
        )

        nina = nina_context.new_page()  # unknown to the CRM: no case to file the message on
        nina.goto(site)
        nina.get_by_test_id("chat-open").click()
        expect(nina.get_by_test_id("chat-status")).to_contain_text("All our agents are busy")
        nina_form = nina.get_by_test_id("chat-form")
        nina_form.get_by_label("Your name").fill("Nina Nobody")
        nina_form.get_by_label("E-mail").fill(f"nina{uuid.uuid4().hex[:8]}@example.com")
        nina_form.get_by_label("Topic").select_option("billing")
        nina_form.get_by_label("Message").fill("Hello?")
        nina_form.get_by_role("button", name="Send message").click()
        expect(nina.get_by_test_id("chat-offline")).to_have_text("Thank you: your message was received.")
    finally:
        grace_context.close()
        wanda_context.close()
        nina_context.close()
