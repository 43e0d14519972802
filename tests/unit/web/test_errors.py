"""The error middleware: every failure leaves as `{error_id, message, details}` with its status."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.storage import DatabaseUnavailable
from gateway.web import error_middleware


async def test_given_the_database_down_when_a_handler_needs_it_then_503_says_so_and_serving_goes_on() -> None:
    async def needs_database(_request: web.Request) -> web.Response:
        raise DatabaseUnavailable(
            "sqlite:///data/helpline.db", "routing events up to #7 are not stored after 10 s"
        )

    async def healthy(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(middlewares=[error_middleware])
    app.router.add_get("/needs-database", needs_database)
    app.router.add_get("/healthy", healthy)
    async with TestClient(TestServer(app)) as client:
        answer = await client.get("/needs-database")
        body = await answer.json()
        assert answer.status == 503
        assert body["error_id"] == "database_unavailable"
        assert "routing events up to #7 are not stored" in body["message"]
        assert "sqlite:///data/helpline.db" in body["message"]
        assert (await client.get("/healthy")).status == 200
