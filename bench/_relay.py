"""The baseline for `helpline bench chat`: a bare python-socketio relay (no routing, no database).

A customer's `send` goes to its agent's room and is acknowledged; nothing is stored. Run as
`python -m bench._relay PORT`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import socketio
from aiohttp import web

from gateway.collector import tune_collector

__all__ = ["relay_app"]


def relay_app() -> web.Application:
    sio = socketio.AsyncServer(
        async_mode="aiohttp", cors_allowed_origins=[], logger=False, engineio_logger=False
    )
    seq = 0

    @sio.on("connect", namespace="/agent-chat")  # type: ignore[untyped-decorator]
    async def agent(sid: str, environ: Mapping[str, Any], auth: dict[str, Any]) -> None:
        await sio.enter_room(sid, f"agent:{auth['agent']}", namespace="/agent-chat")

    @sio.on("connect", namespace="/chat")  # type: ignore[untyped-decorator]
    async def customer(sid: str, environ: Mapping[str, Any], auth: dict[str, Any]) -> None:
        await sio.save_session(sid, {"agent": auth["agent"]}, namespace="/chat")

    @sio.on("send", namespace="/chat")  # type: ignore[untyped-decorator]
    async def send(sid: str, data: dict[str, Any]) -> dict[str, Any]:
        nonlocal seq
        seq += 1
        session = await sio.get_session(sid, namespace="/chat")
        message = {"seq": seq, "text": data["text"], "sender": "customer"}
        await sio.emit("message", message, room=f"agent:{session['agent']}", namespace="/agent-chat")
        return {"ok": True, "stored": message}

    app = web.Application()
    sio.attach(app)
    return app


if __name__ == "__main__":
    tune_collector()  # as the gateway's, so that the baseline differs from it by the work alone
    web.run_app(relay_app(), host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
