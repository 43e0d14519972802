"""A chat queue that is full (its `max_length` of chats waiting) turns the pre-chat form into an offline
message, as closed hours do, through `helpline serve` over real Socket.IO: the form says so, a chat opened
anyway is answered `queue_full` (not routed, then refused and ended), and the message lands on the customer's
case."""

from __future__ import annotations

from collections.abc import Iterator

import aiohttp
import pytest
import yaml

from tests.integration.chat.conftest import Customer, chat_config, form, make_available
from tests.integration.chat.test_conversation import _known_customer
from tests.integration.server.conftest import Server, bearer, login, start_server, stop_server


def full_queue_config(config: dict[str, object]) -> None:
    """The web chat queue takes one waiting chat at most."""
    for queue in config["queues"]:  # type: ignore[attr-defined]
        if queue["id"] == "web-chat":
            queue["max_length"] = 1


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("chat-full")
    path = chat_config(tmp)
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    full_queue_config(config)
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    srv = start_server(tmp, config=path)
    yield srv
    assert srv.alive(), "the server died during the tests:\n" + srv.log_text()
    stop_server(srv)


async def test_given_chat_queue_full_when_customer_comes_then_form_asks_for_a_message_filed_on_the_case(
    busy_server: Server, http: aiohttp.ClientSession
) -> None:
    server = busy_server
    await make_available(http, server, {"alice": "offline", "bob": "offline", "carol": "offline"})
    email = await _known_customer(http, server)
    first, second = Customer(), Customer()
    try:
        await first.connect(server)
        await second.connect(server)
        before = await second.call("form", {"entry": "website"})
        assert (before["open"], before["busy"]) == (True, False)
        await first.open(form("Wanda Waiting"))  # the one chat the queue may hold

        busy = await second.call("form", {"entry": "website"})
        assert (busy["open"], busy["busy"]) == (False, True), "the form becomes an offline message"
        refused = await second.call("open", {"entry": "website", "form": form("Grace", email)})
        assert (refused["ok"], refused["error_id"]) == (False, "queue_full"), refused
        left = await second.call(
            "open", {"entry": "website", "form": form("Grace", email), "offline_message": "Call me back"}
        )
        assert left["ok"] and left["offline"] is True and left["case_id"], left
        assert (await first.call("end"))["ok"]
    finally:
        await first.close()
        await second.close()

    sam = await login(http, server, "sam")
    async with http.get(f"{server.base}/api/v1/cases/{left['case_id']}/activities", headers=bearer(sam)) as r:
        items = (await r.json())["items"]
    assert any(a["disposition"] == "offline message" and a["notes"] == "Call me back" for a in items), items
