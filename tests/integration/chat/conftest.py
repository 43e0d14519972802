"""A `helpline serve` process with the demo chat entry point; the customer's and agents' Socket.IO clients."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
import yaml

from tests.integration.server.conftest import DEMO, Server, bearer, login, start_server, stop_server
from tests.integration.server.test_routing_api import Listener

WIDGET_ORIGIN = "http://127.0.0.1:1"  # replaced by the test page's real origin where one is served


def chat_config(
    tmp: Path, *, origins: tuple[str, ...] = (WIDGET_ORIGIN,), wrap_up_seconds: int = 0, **chat: Any
) -> Path:
    """The demo configuration with the chat queue's wrap-up off (the next chat is offered at once) unless
    `wrap_up_seconds` says otherwise, alice able to take 3 chats, and the given chat settings."""
    config = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    for queue in config["queues"]:
        if queue["id"] == "web-chat":
            queue["wrap_up_seconds"] = wrap_up_seconds
    for user in config["users"]:
        if user["id"] == "alice":
            user["capacity"] = {"total": 3, "chat": 1, "voice": 3}
    config["business_hours"].append({"id": "never", "timezone": "UTC", "weekly": {}})
    closed = {
        "id": "closed",
        "queue": "web-chat",
        "business_hours": "never",
        "fields": [
            {"name": "name", "label": "Your name", "required": True},
            {"name": "email", "label": "E-mail"},
        ],
    }
    config["chat"] = {**config["chat"], "allowed_origins": list(origins), **chat}
    config["chat"]["entries"] = [*config["chat"]["entries"], closed]
    path = tmp / "helpline.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("chat")
    limits = {
        "rate_limit": {"messages": 5, "per_seconds": 30},
        "open_rate_limit": {"messages": 20, "per_seconds": 600},
    }
    srv = start_server(tmp, config=chat_config(tmp, **limits))
    yield srv
    assert srv.alive(), "the server died during the tests:\n" + srv.log_text()
    stop_server(srv)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Customer:
    """The widget's side of the protocol, as a Socket.IO client: it keeps the token and the last seq."""

    def __init__(self) -> None:
        self.token: str | None = None
        self.conversation_id: str | None = None
        self._open_client()

    def _open_client(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

        async def record(event: str, *args: Any) -> None:
            await self.events.put((event, args[0] if args else {}))

        self.client.on("*", record, namespace="/chat")

    async def connect(self, server: Server, *, origin: str | None = None) -> None:
        headers = {"Origin": origin} if origin else {}
        await self.client.connect(
            server.base,
            namespaces=["/chat"],
            auth={"token": self.token} if self.token else None,
            transports=["websocket"],
            headers=headers,
            wait_timeout=10,
        )

    async def reconnect(self, server: Server) -> None:
        """As a reload does: a new connection that proves who it is with the token alone."""
        await self.client.disconnect()
        self._open_client()
        await self.connect(server)

    async def call(self, event: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        result: dict[str, Any] = await self.client.call(event, data or {}, namespace="/chat", timeout=15)
        return result

    async def open(self, form: dict[str, str], entry: str = "website") -> dict[str, Any]:
        answer = await self.call("open", {"entry": entry, "form": form})
        assert answer["ok"], answer
        self.token, self.conversation_id = answer["token"], answer["conversation"]["id"]
        return answer

    async def send(self, text: str, client_id: str | None = None) -> dict[str, Any]:
        return await self.call("send", {"text": text, "client_id": client_id or uuid.uuid4().hex})

    async def next(self, name: str, *, timeout: float = 15, where: Any = None) -> dict[str, Any]:
        async def wait() -> dict[str, Any]:
            while True:
                event, data = await self.events.get()
                if event == name and (where is None or where(data)):
                    return data

        return await asyncio.wait_for(wait(), timeout)

    async def close(self) -> None:
        await self.client.disconnect()


def form(name: str = "Ada Lovelace", email: str | None = None, topic: str = "support") -> dict[str, str]:
    return {"name": name, "email": email or f"ada{uuid.uuid4().hex[:8]}@example.com", "topic": topic}


async def agent_sockets(server: Server, token: str) -> tuple[Listener, Listener]:
    """An agent's panel: its `/agent` socket (offers) and its `/agent-chat` socket (chats)."""
    offers, chats = Listener("/agent"), Listener("/agent-chat")
    await offers.connect(server, token)
    await chats.connect(server, token)
    return offers, chats


async def make_available(http: aiohttp.ClientSession, server: Server, states: dict[str, str]) -> None:
    sam = await login(http, server, "sam")
    for agent, state in states.items():
        async with http.put(
            f"{server.base}/api/v1/agents/{agent}/presence", json={"state": state}, headers=bearer(sam)
        ) as r:
            assert r.status == 200, await r.text()
