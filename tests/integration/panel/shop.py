"""The customer's side of the chat tests: a gateway whose chat widget a shop on another origin may embed,
and the steps a customer takes on the shop's page (the page itself is the `site` fixture)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from tests.integration.chat.conftest import chat_config
from tests.integration.panel.conftest import start_panel_server
from tests.integration.server.conftest import Server

__all__ = ["start_chat", "start_chat_server"]


def start_chat_server(tmp: Path, site_port: int, *, wrap_up_seconds: int = 0) -> Server:
    """The chat demo (see `chat_config`) letting the shop's page on `site_port` embed the widget."""
    config = chat_config(tmp, origins=(f"http://127.0.0.1:{site_port}",), wrap_up_seconds=wrap_up_seconds)
    return start_panel_server(tmp, config=config)


def start_chat(shop: Page, site: str, *, name: str, email: str, topic: str) -> None:
    """On the shop's page: open the widget, fill in the pre-chat form and start the chat."""
    shop.goto(site)
    shop.get_by_test_id("chat-open").click()
    form = shop.get_by_test_id("chat-form")
    form.get_by_label("Your name").fill(name)
    form.get_by_label("E-mail").fill(email)
    form.get_by_label("Topic").select_option(topic)
    form.get_by_role("button", name="Start chat").click()
