"""The error middleware: every failure leaves as `{error_id, message, details}` with its status."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.storage import DatabaseUnavailable
from gateway.web import ErrorMapping, error_middleware, error_middleware_for


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


class ShopError(Exception):
    def __init__(self, message: str, *, order_id: str) -> None:
        super().__init__(message)
        self.order_id = order_id


class OrderNotFound(ShopError):
    pass


class OrderLocked(ShopError):
    pass


SHOP_ERRORS = (
    ErrorMapping(ShopError, 409, "shop_conflict", lambda e: {"order_id": e.order_id}),
    ErrorMapping(OrderNotFound, 404, "no_such_order", lambda e: {"order_id": e.order_id}),
)


async def _answer(exc: Exception) -> tuple[int, dict[str, Any]]:
    async def handler(_request: web.Request) -> web.Response:
        raise exc

    app = web.Application(middlewares=[error_middleware_for(SHOP_ERRORS)])
    app.router.add_get("/", handler)
    async with TestClient(TestServer(app)) as client:
        answer = await client.get("/")
        return answer.status, await answer.json()


async def test_given_a_mapped_domain_error_when_a_handler_raises_it_then_its_mapping_answers() -> None:
    status, body = await _answer(OrderNotFound("no order 'o-7'", order_id="o-7"))

    assert status == 404
    assert body == {"error_id": "no_such_order", "message": "no order 'o-7'", "details": {"order_id": "o-7"}}


async def test_given_a_subclass_without_a_mapping_when_raised_then_its_nearest_mapped_base_answers() -> None:
    status, body = await _answer(OrderLocked("order 'o-8' is being paid", order_id="o-8"))

    assert status == 409
    assert body["error_id"] == "shop_conflict"
    assert body["details"] == {"order_id": "o-8"}


async def test_given_an_unmapped_exception_when_raised_then_500_without_its_text() -> None:
    status, body = await _answer(KeyError("secret internals"))

    assert status == 500
    assert body["error_id"] == "internal_error"
    assert "secret" not in body["message"]


def test_given_one_exception_mapped_twice_when_the_middleware_is_built_then_it_is_refused() -> None:
    with pytest.raises(ValueError, match="OrderNotFound is mapped to an API error twice"):
        error_middleware_for(SHOP_ERRORS, [ErrorMapping(OrderNotFound, 410, "gone")])


def test_given_a_status_that_is_not_an_error_when_mapped_then_refused_naming_the_class() -> None:
    with pytest.raises(ValueError, match=r"OrderLocked: status must be 400\.\.599, got 200"):
        ErrorMapping(OrderLocked, 200, "fine")
