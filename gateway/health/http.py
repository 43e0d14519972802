"""`GET /healthz`: the health report as JSON, 200 when every component works, 503 otherwise."""

from __future__ import annotations

from aiohttp import web

import gateway
from gateway.health._report import HealthService

__all__ = ["add_routes"]


def add_routes(app: web.Application, service: HealthService) -> None:
    async def healthz(request: web.Request) -> web.Response:
        report = await service.report()
        body = {**report.to_json(), "version": gateway.__version__}
        return web.json_response(body, status=200 if report.ok else 503)

    app.router.add_get("/healthz", healthz)
