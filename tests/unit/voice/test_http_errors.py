"""How the voice service's errors leave the REST API: the table the composition root gives the middleware."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.voice.errors import CallNotFoundError
from gateway.voice.http import ERRORS
from gateway.web import error_middleware_for


async def test_given_no_call_for_the_interaction_when_a_call_action_raises_then_409_no_such_call() -> None:
    error = CallNotFoundError("i-9", "the call is ringing, not connected")

    async def hold(_request: web.Request) -> web.Response:
        raise error

    app = web.Application(middlewares=[error_middleware_for(ERRORS)])
    app.router.add_post("/hold", hold)
    async with TestClient(TestServer(app)) as client:
        answer = await client.post("/hold")
        body = await answer.json()

    assert answer.status == 409
    assert body == {"error_id": "no_such_call", "message": str(error), "details": {"interaction_id": "i-9"}}
