"""How the voice service's errors leave the REST API: the table the composition root gives the middleware."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.voice.errors import (
    AlreadyMonitored,
    CallNotFoundError,
    NoRoomForSupervisor,
    NoSupervisorPhone,
    NotMonitoring,
)
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


@pytest.mark.parametrize(
    ("error", "status", "error_id"),
    [
        (NoRoomForSupervisor("i-1", "sam", "media worker 1 has no call slot left"), 503, "media_worker_full"),
        (
            NoSupervisorPhone("i-1", "sam", "the supervisor has no SIP phone configured"),
            409,
            "supervisor_has_no_phone",
        ),
        (
            AlreadyMonitored("i-1", "sam", "supervisor 'ann' is already on this call"),
            409,
            "already_monitored",
        ),
        (NotMonitoring("i-1", "sam", "the supervisor is not on this call"), 409, "not_monitoring"),
    ],
)
async def test_given_a_supervisor_who_cannot_listen_in_when_refused_then_the_answer_says_why(
    error: Exception, status: int, error_id: str
) -> None:
    async def monitor(_request: web.Request) -> web.Response:
        raise error

    app = web.Application(middlewares=[error_middleware_for(ERRORS)])
    app.router.add_post("/monitor", monitor)
    async with TestClient(TestServer(app)) as client:
        answer = await client.post("/monitor")
        body = await answer.json()

    assert answer.status == status
    assert body == {
        "error_id": error_id,
        "message": str(error),
        "details": {"interaction_id": "i-1", "supervisor_id": "sam"},
    }
