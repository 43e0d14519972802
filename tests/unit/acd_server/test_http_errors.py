"""How the routing core's errors leave the REST API: the table the composition root gives the middleware."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.acd import (
    DuplicateInteraction,
    InvalidTransition,
    NotOffered,
    UnknownAgent,
    UnknownInteraction,
    UnknownQueue,
)
from gateway.acd_server.http import ERRORS
from gateway.web import error_middleware_for


@pytest.mark.parametrize(
    ("error", "status", "error_id", "details"),
    [
        (UnknownInteraction("i-1"), 404, "not_found", {"interaction_id": "i-1"}),
        (UnknownAgent("zed"), 404, "not_found", {"agent_id": "zed"}),
        (UnknownQueue("nope", interaction_id="i-2"), 400, "unknown_queue", {"interaction_id": "i-2"}),
        (DuplicateInteraction("i-3"), 409, "conflict", {"interaction_id": "i-3"}),
        (NotOffered("i-4", "bob", "waiting"), 409, "conflict", {"interaction_id": "i-4", "agent_id": "bob"}),
        (InvalidTransition("i-5", "waiting", "end"), 409, "routing_conflict", {"interaction_id": "i-5"}),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else None,
)
async def test_given_a_routing_error_when_a_handler_raises_it_then_the_answer_names_it(
    error: Exception, status: int, error_id: str, details: dict[str, Any]
) -> None:
    async def handler(_request: web.Request) -> web.Response:
        raise error

    app = web.Application(middlewares=[error_middleware_for(ERRORS)])
    app.router.add_post("/", handler)
    async with TestClient(TestServer(app)) as client:
        answer = await client.post("/")
        body = await answer.json()

    assert answer.status == status
    assert body == {"error_id": error_id, "message": str(error), "details": details}
