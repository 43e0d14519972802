"""A real gateway serving the agent panel, headless Chromium (Debian's) driven by Playwright, REST helpers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web
from playwright.sync_api import (
    APIRequestContext,
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from gateway.panel import BUILD_COMMAND, dist_dir
from tests.integration.server.conftest import DEMO, Server, _wait_healthy, stop_server
from tests.integration.sip.conftest import free_udp_ports
from tests.services import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORDS = {"crm": "crm-demo-secret"}
T = TypeVar("T")


def start_panel_server(tmp: Path, *, port: int | None = None, config: Path = DEMO) -> Server:
    """`helpline serve --no-sip` on the demo configuration, with the panel; same `tmp` and port: a restart."""
    port = port or free_port()
    data_dir, log = tmp / "data", tmp / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "tests.integration.detect_blocking", "serve"]
    options = ["--config", str(config), "--http-port", str(port), "--data-dir", str(data_dir), "--no-sip"]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, *options], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=Path(__file__).parents[3]
        )
    server = Server(base=f"http://127.0.0.1:{port}", process=process, log=log, data_dir=data_dir)
    _wait_healthy(server)
    return server


@pytest.fixture(scope="session", autouse=True)
def _panel_built() -> None:
    if not (dist_dir() / "index.html").is_file():
        pytest.fail(f"the agent panel is not built: run `{BUILD_COMMAND}` (make setup does)")
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed (apt-get install chromium; make setup does)")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    # One server per test: routing state (queued work, presence) must not leak from one test to the next.
    srv = start_panel_server(tmp_path)
    yield srv
    assert srv.alive(), "the server died during the test:\n" + srv.log_text()
    stop_server(srv)


# Per module, not per package: a live sync Playwright makes the package's asyncio tests fail with
# "Runner.run() cannot be called from a running event loop".
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    # Needs the server so it closes first: a server stopping with live sockets waits for them.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    page = context.new_page()
    # the same deadline for actions and for `expect` (whose own default is 5 s): logging in hashes with argon2
    page.set_default_timeout(10_000)
    expect.set_options(timeout=10_000)
    return page


class Rest:
    """REST calls to the server as one of the demo users."""

    def __init__(self, api: APIRequestContext, server: Server) -> None:
        self.api, self.server = api, server
        self._tokens: dict[str, str] = {}

    def token(self, user: str) -> str:
        if user not in self._tokens:
            password = PASSWORDS.get(user, f"{user}-demo")
            response = self.api.post(
                self.server.base + "/api/v1/auth/login", data={"username": user, "password": password}
            )
            assert response.ok, response.text()
            self._tokens[user] = str(response.json()["token"])
        return self._tokens[user]

    def call(self, user: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        response = self.api.fetch(
            self.server.base + "/api/v1" + path,
            method=method,
            headers={"Authorization": f"Bearer {self.token(user)}"},
            data=body,
        )
        text = response.text()
        return response.status, (response.json() if text else None)

    def ok(self, user: str, method: str, path: str, body: Any = None) -> Any:
        status, answer = self.call(user, method, path, body)
        assert 200 <= status < 300, (method, path, status, answer)
        return answer

    def chat(self, **attributes: str) -> str:
        """A web chat from a customer who entered `attributes`, for alice."""
        body = {"channel": "chat", "queue": "web-chat", "attributes": attributes, "preferred_agent": "alice"}
        return str(self.ok("crm", "POST", "/interactions", body)["id"])


@pytest.fixture
def rest(playwright: Playwright, server: Server) -> Iterator[Rest]:
    api = playwright.request.new_context()
    yield Rest(api, server)
    api.dispose()


@pytest.fixture(scope="module")
def sip_port() -> int:
    """Where a module's gateway with its SIP front (see calls.py) takes calls and registrations."""
    return free_udp_ports(1)


@pytest.fixture
def site_port() -> int:
    """Where the shop's page embedding the chat widget is served: another origin than the gateway's."""
    return free_port()


@pytest.fixture
def site(server: Server, site_port: int, aio: LoopThread) -> Iterator[str]:
    """A shop's page on its own origin, with the widget's script tag; the server must allow that origin."""
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Shop</title></head>"
        f"<body><h1>Shop</h1><script src='{server.base}/chat/widget.js' data-entry='website'></script>"
        "</body></html>"
    )

    async def index(request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html")

    async def start() -> web.AppRunner:
        app = web.Application()
        app.router.add_get("/", index)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", site_port).start()
        return runner

    runner = aio.run(start())
    yield f"http://127.0.0.1:{site_port}/"
    aio.run(runner.cleanup())


class LoopThread:
    """An asyncio loop on its own thread, for asyncio helpers (SIPp, phones, sockets) next to Playwright's
    sync API, which must not run inside a running loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="test-aio", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 90.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@pytest.fixture
def aio() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()
