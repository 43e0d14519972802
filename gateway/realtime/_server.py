"""Socket.IO namespaces authenticated with the REST bearer token.

An agent's socket joins the room `agent:<id>` and only that room, so it receives its own offers
and presence; supervisors and admins join `/supervisor` and receive the wallboard, and every routing event
when they connect with `events: true`. A socket whose token expires or is revoked gets `session_ended` and
is disconnected (checked on every event, and swept every second).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from typing import Any, Protocol

import socketio
from aiohttp import web

from gateway.auth import Grant, Principal, TokenError, TokenService
from gateway.realtime._guarded import BadFrames, GuardedServer

__all__ = ["AgentActions", "RealtimeServer", "StaffNamespace", "SupervisorActions"]

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


_SESSION_ENDED = _error("session_ended", "the token has expired or been revoked; log in again")
_SWEEP_SECONDS = 1.0
_RAW_EVENTS = "supervisors:events"  # the `/supervisor` sockets that asked for every routing event


class _Authenticated(socketio.AsyncNamespace):  # type: ignore[misc]
    roles: tuple[str, ...] = ()

    def __init__(self, namespace: str, tokens: TokenService) -> None:
        super().__init__(namespace)
        self._tokens = tokens
        self._grants: dict[str, Grant] = {}  # this node's connected sockets

    async def authenticate(self, sid: str, environ: Mapping[str, Any], auth: object) -> Principal:
        token = _token_from(auth, environ)
        if token is None:
            raise socketio.exceptions.ConnectionRefusedError("unauthorized: no token given")
        try:
            grant = self._tokens.read(token)
        except TokenError as exc:
            raise socketio.exceptions.ConnectionRefusedError(f"unauthorized: {exc}") from None
        principal = grant.principal
        if principal.role not in self.roles:
            raise socketio.exceptions.ConnectionRefusedError(
                f"forbidden: role {principal.role!r} may not use {self.namespace}"
            )
        await self.save_session(sid, {"principal": principal})
        self._grants[sid] = grant
        return principal

    async def on_disconnect(self, sid: str, reason: object = None) -> None:
        self._grants.pop(sid, None)

    async def principal(self, sid: str) -> Principal | None:
        """The socket's user, or None (and the socket ended) when its token no longer holds."""
        grant = self._grants.get(sid)
        if grant is None:
            return None
        if not self._tokens.is_valid(grant):
            await self.end_session(sid, grant)
            return None
        return grant.principal

    async def sweep(self) -> None:
        """End every socket whose token has expired or been revoked."""
        for sid, grant in list(self._grants.items()):
            if not self._tokens.is_valid(grant):
                await self.end_session(sid, grant)

    async def end_session(self, sid: str, grant: Grant) -> None:
        if self._grants.pop(sid, None) is None:
            return
        reason = "expired" if grant.expires_at <= time.time() else "revoked"
        logger.info("%s socket of %s ended: token %s", self.namespace, grant.principal.user_id, reason)
        message = f"the token has {'expired' if reason == 'expired' else 'been revoked'}; log in again"
        await self.emit("session_ended", {"reason": reason, "message": message}, to=sid)
        await self.disconnect(sid)


StaffNamespace = _Authenticated
"""A namespace for signed-in staff: `authenticate` in `on_connect`, then `principal(sid)` in handlers."""


class _OriginCheck:
    """The page's origin must be the gateway's own or one of `allowed` (the chat widget's sites); a
    client that sends no Origin (not a browser) is let through to the namespaces' own authentication."""

    def __init__(self, allowed: tuple[str, ...]) -> None:
        self._allowed = frozenset(allowed)

    def __call__(self, origin: str | None, environ: Mapping[str, Any]) -> bool:
        if origin is None or origin in self._allowed:
            return True
        scheme = str(environ.get("HTTP_X_FORWARDED_PROTO") or environ.get("wsgi.url_scheme", "http"))
        host = str(environ.get("HTTP_X_FORWARDED_HOST") or environ.get("HTTP_HOST", ""))
        return origin == f"{scheme.split(',')[0].strip()}://{host.split(',')[0].strip()}"


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
        if principal is None:
            return _SESSION_ENDED
        interaction_id = await self._interaction_id(data)
        if interaction_id is None:
            return _error("bad_request", "accept needs {interaction_id: string}")
        return await self._actions.accept_offer(principal.user_id, interaction_id)

    async def on_reject(self, sid: str, data: object = None) -> dict[str, Any]:
        principal = await self.principal(sid)
        if principal is None:
            return _SESSION_ENDED
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
        if isinstance(auth, dict) and auth.get("events") is True:
            await self.enter_room(sid, _RAW_EVENTS)  # every routing event too (the console does not ask)
        logger.info("supervisor %s connected (sid %s)", principal.user_id, sid)
        if self.console is not None:
            await self.emit("board", await self.console.board(), to=sid)


class RealtimeServer:
    def __init__(
        self, *, tokens: TokenService, redis_url: str | None = None, allowed_origins: tuple[str, ...] = ()
    ) -> None:
        self._tokens = tokens
        manager = socketio.AsyncRedisManager(redis_url) if redis_url else None
        self._sio = GuardedServer(
            frames=BadFrames(),
            async_mode="aiohttp",
            client_manager=manager,
            cors_allowed_origins=_OriginCheck(allowed_origins),
        )
        self._supervisors = _SupervisorNamespace(tokens)
        self._namespaces: list[_Authenticated] = [self._supervisors]
        self._sio.register_namespace(self._supervisors)
        self._sweeper: asyncio.Task[None] | None = None

    def attach(
        self, app: web.Application, actions: AgentActions, console: SupervisorActions | None = None
    ) -> None:
        """Serve the sockets on `app`; agents' commands go to `actions`, a supervisor's console gets its
        board from `console` on connect (events can be pushed before)."""
        self._supervisors.console = console
        agents = _AgentNamespace(self._tokens, actions)
        self._namespaces.append(agents)
        self._sio.register_namespace(agents)
        self._sio.attach(app, socketio_path="socket.io")

    def start(self) -> None:
        """Start ending the sockets whose tokens expire or are revoked."""
        self._sweeper = asyncio.create_task(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(_SWEEP_SECONDS)
            for namespace in self._namespaces:
                try:
                    await namespace.sweep()
                except Exception:
                    logger.exception("sweeping %s sockets failed", namespace.namespace)

    def register(self, namespace: socketio.AsyncNamespace) -> None:
        """Serve one more namespace (another floor's, e.g. the web chat's); staff namespaces are swept too."""
        if isinstance(namespace, _Authenticated):
            self._namespaces.append(namespace)
        self._sio.register_namespace(namespace)

    @property
    def tokens(self) -> TokenService:
        return self._tokens

    async def emit(
        self, event: str, data: Mapping[str, Any], *, room: str, namespace: str, skip: str | None = None
    ) -> None:
        """`data` as `event` to the sockets in `room`, but the socket `skip` (its sid) when given."""
        if self._nobody_in(room, namespace, skip):
            return  # the manager would encode the packet for no one
        await self._sio.emit(event, dict(data), room=room, namespace=namespace, skip_sid=skip)

    def _nobody_in(self, room: str, namespace: str, skip: str | None) -> bool:
        """True when no socket but `skip` is in `room` (a customer's only tab, which sent the message): known
        only to the in-process manager (a pub/sub manager's rooms span the nodes)."""
        manager = self._sio.manager
        if type(manager) is not socketio.AsyncManager:
            return False
        return all(sid == skip for sid, _ in manager.get_participants(namespace, room))

    async def to_agent(self, agent_id: str, event: str, data: Mapping[str, Any]) -> None:
        await self._sio.emit(event, dict(data), room=f"agent:{agent_id}", namespace="/agent")

    async def to_supervisors(self, event: str, data: Mapping[str, Any]) -> None:
        await self._sio.emit(event, dict(data), room="supervisors", namespace="/supervisor")

    async def event_to_supervisors(self, data: Mapping[str, Any]) -> None:
        """A routing event, as `event`, to the `/supervisor` sockets that connected with `events: true`."""
        await self._sio.emit("event", dict(data), room=_RAW_EVENTS, namespace="/supervisor")

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await self._sio.shutdown()
