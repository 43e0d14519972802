"""Serving the built panel: the page with a strict Content-Security-Policy, and its assets."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from aiohttp import web

from gateway.panel.errors import PanelNotBuilt
from gateway.web import NotFound

__all__ = ["BUILD_COMMAND", "add_routes", "dist_dir"]

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


async def _existing(path: Path, dist: Path) -> Path:
    if not await asyncio.to_thread(path.is_file):
        if not await asyncio.to_thread((dist / "index.html").is_file):
            raise PanelNotBuilt(dist, BUILD_COMMAND)
        raise NotFound(f"no panel file {path.name!r}", details={"path": f"/agent/assets/{path.name}"})
    return path


def add_routes(app: web.Application, *, dist: Path | None = None) -> None:
    """GET /agent (the page), /agent/ (redirect) and /agent/assets/{name} (scripts, styles, source maps)."""
    root = dist or dist_dir()

    async def page(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(await _existing(root / "index.html", root), headers=_PAGE_HEADERS)

    async def slash(request: web.Request) -> web.StreamResponse:
        raise web.HTTPPermanentRedirect("/agent")

    async def asset(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if not _ASSET_NAME.match(name):
            raise NotFound(f"no panel file {name!r}", details={"path": request.path})
        return web.FileResponse(await _existing(root / "assets" / name, root), headers=_ASSET_HEADERS)

    app.router.add_get("/agent", page)
    app.router.add_get("/agent/", slash)
    app.router.add_get("/agent/assets/{name}", asset)
