"""Socket.IO namespaces authenticated with the REST bearer token.

An agent's socket joins the room `agent:<id>` and only that room, so it receives its own offers
and presence; supervisors and admins join `/supervisor` and receive every routing event.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

import socketio
from aiohttp import web

from gateway.auth import Principal, TokenError, TokenService

__all__ = ["AgentActions", "RealtimeServer", "SupervisorActions"]

logger = logging.getLogger("helpline.realtime")


class AgentActions(Protocol):
    """What an agent can do over its socket; answers are JSON-shaped acks."""

    async def accept_offer(self, agent_id: str, interaction_id: str) -> dict[str, Any]: ...

    async def reject_offer(self, agent_id: str, interaction_id: str) -> dict[str, Any]: ...

    async def agent_state(self, agent_id: str) -> dict[str, Any]: ...


class SupervisorActions(Protocol):
    """What a supervisor's console is sent on (re)connect: the whole board."""

    async def board(self) -> dict[str, Any]: ...


def _token_from(auth: object, environ: Mapping[str, Any]) -> str | None:
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        return str(auth["token"])
    header = str(environ.get("HTTP_AUTHORIZATION", ""))
    return header.removeprefix("Bearer ").strip() or None


def _error(error_id: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error_id": error_id, "message": message}


class _Authenticated(socketio.AsyncNamespace):  # type: ignore[misc]
    roles: tuple[str, ...] = ()

    def __init__(self, namespace: str, tokens: TokenService) -> None:
        super().__init__(namespace)
        self._tokens = tokens

    async def authenticate(self, sid: str, environ: Mapping[str, Any], auth: object) -> Principal:
        token = _token_from(auth, environ)
        if token is None:
            raise socketio.exceptions.ConnectionRefusedError("unauthorized: no token given")
        try:
            principal = self._tokens.verify(token)
        except TokenError as exc:
            raise socketio.exceptions.ConnectionRefusedError(f"unauthorized: {exc}") from None
        if principal.role not in self.roles:
            raise socketio.exceptions.ConnectionRefusedError(
                f"forbidden: role {principal.role!r} may not use {self.namespace}"
            )
        await self.save_session(sid, {"principal": principal})
        return principal

    async def principal(self, sid: str) -> Principal:
        session = await self.get_session(sid)
        principal: Principal = session["principal"]
        return principal


class _AgentNamespace(_Authenticated):
    roles = ("agent",)

    def __init__(self, tokens: TokenService, actions: AgentActions) -> None:
        super().__init__("/agent", tokens)
        self._actions = actions

    async def on_connect(self, sid: str, environ: Mapping[str, Any], auth: object = None) -> None:
        principal = await self.authenticate(sid, environ, auth)
        await self.enter_room(sid, f"agent:{principal.user_id}")
        logger.info("agent %s connected (sid %s)", principal.user_id, sid)
        await self.emit("state", await self._actions.agent_state(principal.user_id), to=sid)

    async def _interaction_id(self, data: object) -> str | None:
        if isinstance(data, dict) and isinstance(data.get("interaction_id"), str):
            return str(data["interaction_id"])
        return None

    async def on_accept(self, sid: str, data: object = None) -> dict[str, Any]:
        principal = await self.principal(sid)
        interaction_id = await self._interaction_id(data)
        if interaction_id is None:
            return _error("bad_request", "accept needs {interaction_id: string}")
        return await self._actions.accept_offer(principal.user_id, interaction_id)

    async def on_reject(self, sid: str, data: object = None) -> dict[str, Any]:
        principal = await self.principal(sid)
        interaction_id = await self._interaction_id(data)
        if interaction_id is None:
            return _error("bad_request", "reject needs {interaction_id: string}")
        return await self._actions.reject_offer(principal.user_id, interaction_id)


class _SupervisorNamespace(_Authenticated):
    roles = ("supervisor", "admin")

    def __init__(self, tokens: TokenService) -> None:
        super().__init__("/supervisor", tokens)
        self.console: SupervisorActions | None = None

    async def on_connect(self, sid: str, environ: Mapping[str, Any], auth: object = None) -> None:
        principal = await self.authenticate(sid, environ, auth)
        await self.enter_room(sid, "supervisors")
        logger.info("supervisor %s connected (sid %s)", principal.user_id, sid)
        if self.console is not None:
            await self.emit("board", await self.console.board(), to=sid)


class RealtimeServer:
    def __init__(self, *, tokens: TokenService, redis_url: str | None = None) -> None:
        self._tokens = tokens
        manager = socketio.AsyncRedisManager(redis_url) if redis_url else None
        self._sio = socketio.AsyncServer(
            async_mode="aiohttp",
            client_manager=manager,
            cors_allowed_origins=[],
            logger=False,
            engineio_logger=False,
        )
        self._supervisors = _SupervisorNamespace(tokens)
        self._sio.register_namespace(self._supervisors)

    def attach(
        self, app: web.Application, actions: AgentActions, console: SupervisorActions | None = None
    ) -> None:
        """Serve the sockets on `app`; agents' commands go to `actions`, a supervisor's console gets its
        board from `console` on connect (events can be pushed before)."""
        self._supervisors.console = console
        self._sio.register_namespace(_AgentNamespace(self._tokens, actions))
        self._sio.attach(app, socketio_path="socket.io")

    async def to_agent(self, agent_id: str, event: str, data: Mapping[str, Any]) -> None:
        await self._sio.emit(event, dict(data), room=f"agent:{agent_id}", namespace="/agent")

    async def to_supervisors(self, event: str, data: Mapping[str, Any]) -> None:
        await self._sio.emit(event, dict(data), room="supervisors", namespace="/supervisor")

    async def close(self) -> None:
        await self._sio.shutdown()
