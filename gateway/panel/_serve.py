"""Serving the built pages (the agent's panel, the supervisor's console): each page with a strict
Content-Security-Policy, and their assets."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from aiohttp import web

from gateway.panel.errors import PanelNotBuilt
from gateway.web import NotFound

__all__ = ["BUILD_COMMAND", "add_page", "add_routes", "dist_dir"]

BUILD_COMMAND = "npm ci --prefix gateway/panel && npm run build --prefix gateway/panel"

# Defence in depth: the panel renders data as text, and even a slip could not run inline script.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src blob:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_ASSET_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
_ASSET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def dist_dir() -> Path:
    """Where `npm run build` puts the panel (next to this module, so an installed package finds it too)."""
    return Path(__file__).resolve().parent / "dist"


async def _existing(path: Path, dist: Path, page: str, prefix: str) -> Path:
    if not await asyncio.to_thread(path.is_file):
        if not await asyncio.to_thread((dist / page).is_file):
            raise PanelNotBuilt(dist, BUILD_COMMAND)
        raise NotFound(f"no panel file {path.name!r}", details={"path": f"{prefix}/assets/{path.name}"})
    return path


def add_page(app: web.Application, prefix: str, page: str, *, dist: Path | None = None) -> None:
    """GET `prefix` (the built `page`), `prefix`/ (redirect) and `prefix`/assets/{name} (scripts, styles,
    source maps): every page shares the one build's assets."""
    root = dist or dist_dir()

    async def serve_page(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(await _existing(root / page, root, page, prefix), headers=_PAGE_HEADERS)

    async def slash(request: web.Request) -> web.StreamResponse:
        raise web.HTTPPermanentRedirect(prefix)

    async def asset(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if not _ASSET_NAME.match(name):
            raise NotFound(f"no panel file {name!r}", details={"path": request.path})
        path = root / "assets" / name
        return web.FileResponse(await _existing(path, root, page, prefix), headers=_ASSET_HEADERS)

    app.router.add_get(prefix, serve_page)
    app.router.add_get(f"{prefix}/", slash)
    app.router.add_get(f"{prefix}/assets/{{name}}", asset)


def add_routes(app: web.Application, *, dist: Path | None = None) -> None:
    """The agent's panel: GET /agent, /agent/ (redirect) and /agent/assets/{name}."""
    add_page(app, "/agent", "index.html", dist=dist)
