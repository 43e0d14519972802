"""How the gateway serves the panel: the page under a strict CSP, its assets, and a clear 503 if unbuilt."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.panel import BUILD_COMMAND, add_routes, dist_dir
from gateway.web import error_middleware


async def _client(dist: Path) -> TestClient[web.Request, web.Application]:
    app = web.Application(middlewares=[error_middleware])
    add_routes(app, dist=dist)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_given_the_built_panel_when_opened_then_page_and_assets_come_with_safe_headers() -> None:
    client = await _client(dist_dir())
    try:
        page = await client.get("/agent")
        assert page.status == 200
        assert "/agent/assets/panel.js" in await page.text()
        csp = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        script = await client.get("/agent/assets/panel.js")
        assert script.status == 200
        assert script.headers["Content-Type"].startswith(("text/javascript", "application/javascript"))
        assert (await client.get("/agent/assets/..%2Findex.html")).status == 404
        assert (await client.get("/agent/assets/missing.js")).status == 404
        slash = await client.get("/agent/", allow_redirects=False)
        assert (slash.status, slash.headers["Location"]) == (308, "/agent")
    finally:
        await client.close()


async def test_given_an_unbuilt_panel_when_agent_opens_it_then_503_names_the_build_command(
    tmp_path: Path,
) -> None:
    client = await _client(tmp_path / "dist")
    try:
        response = await client.get("/agent")
        body = await response.json()
        assert response.status == 503
        assert body["error_id"] == "panel_not_built"
        assert BUILD_COMMAND in body["message"]
    finally:
        await client.close()
