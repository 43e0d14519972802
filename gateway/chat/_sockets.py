"""The chat over Socket.IO: `/chat` for customers (a visitor token, no login), `/agent-chat` for agents,
`/supervisor-chat` for supervisors monitoring, whispering to and taking over chats.

Every command answers with an ack: `{"ok": true, ...}` or `{"ok": false, "error_id", "message"}`. Rooms go
through python-socketio's manager (`conv:<id>` for a customer's tabs, `agent:<id>` for an agent's panels,
`watch:<id>` for the supervisors reading a conversation, `monitors` for every supervisor's chat list), so a
Redis manager can carry them across nodes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import socketio

from gateway.acd import RoutingError
from gateway.auth import TokenService
from gateway.chat._service import ChatService
from gateway.chat.errors import BadVisitorToken, ChatError
from gateway.realtime import RealtimeServer, StaffNamespace
from gateway.storage import StorageError

__all__ = ["ChatSockets"]

logger = logging.getLogger("helpline.chat")

CUSTOMERS, AGENTS, SUPERVISORS = "/chat", "/agent-chat", "/supervisor-chat"


def _data(data: object) -> Mapping[str, Any]:
    return data if isinstance(data, Mapping) else {}


_SESSION_ENDED = {
    "ok": False,
    "error_id": "session_ended",
    "message": "the token has expired or been revoked; log in again",
}


async def _answer(work: Callable[[], Awaitable[dict[str, Any] | None]]) -> dict[str, Any]:
    try:
        result = await work()
    except ChatError as exc:
        return exc.to_ack()
    except RoutingError as exc:  # e.g. ending a chat the core no longer has assigned
        return {"ok": False, "error_id": type(exc).__name__, "message": str(exc)}
    except StorageError as exc:  # nothing was acknowledged: the client may resend (same client id)
        logger.warning("chat command failed: %s", exc)
        return {"ok": False, "error_id": "database_unavailable", "message": "try again in a moment"}
    return {"ok": True, **(result or {})}


class _CustomerNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    def __init__(self, chat: ChatService) -> None:
        super().__init__(CUSTOMERS)
        self._chat = chat

    async def on_connect(self, sid: str, environ: Mapping[str, Any], auth: object = None) -> None:
        request = environ.get("aiohttp.request")
        await self.save_session(sid, {"address": str(getattr(request, "remote", None) or "")})
        token = _data(auth).get("token")
        if token is None:
            return  # a visitor who has not opened a chat yet: the form comes first
        try:
            conversation_id = self._chat.resume_token(token)
        except BadVisitorToken as exc:
            raise socketio.exceptions.ConnectionRefusedError(f"{exc.error_id}: {exc}") from None
        await self._join(sid, conversation_id)

    async def _join(self, sid: str, conversation_id: str) -> None:
        session = await self.get_session(sid)
        await self.save_session(sid, {**(session or {}), "conversation_id": conversation_id})
        await self.enter_room(sid, f"conv:{conversation_id}")

    async def _conversation(self, sid: str) -> str:
        session = await self.get_session(sid)
        conversation_id = session.get("conversation_id") if session else None
        if not isinstance(conversation_id, str):
            raise BadVisitorToken("no conversation on this connection: open one or connect with its token")
        return conversation_id

    async def trigger_event(self, event: str, *args: Any) -> Any:
        command = _CUSTOMER_COMMANDS.get(event)
        if command is None:
            return await super().trigger_event(event, *args)
        sid, data = args[0], _data(args[1] if len(args) > 1 else None)

        async def work() -> dict[str, Any] | None:
            return await command(self._chat, await self._conversation(sid), data, sid)

        return await _answer(work)

    async def on_form(self, sid: str, data: object = None) -> dict[str, Any]:
        async def work() -> dict[str, Any]:
            return self._chat.entry_form(_data(data).get("entry"))

        return await _answer(work)

    async def on_open(self, sid: str, data: object = None) -> dict[str, Any]:
        raw = _data(data)

        async def work() -> dict[str, Any]:
            address = str((await self.get_session(sid) or {}).get("address", ""))
            entry, form, message = raw.get("entry"), raw.get("form"), raw.get("offline_message")
            opened = await self._chat.open(entry, form, message, address=address)
            if "conversation" in opened:
                await self._join(sid, opened["conversation"]["id"])
            return opened

        return await _answer(work)


# (the service, the conversation, the command's data, the customer's connection)
Command = Callable[[ChatService, str, Mapping[str, Any], str], Awaitable[dict[str, Any] | None]]


async def _send(chat: ChatService, c: str, d: Mapping[str, Any], sid: str) -> dict[str, Any]:
    # the sending tab has the stored message in its ack: only the conversation's other tabs are sent it
    return {"stored": await chat.customer_send(c, d.get("client_id"), d.get("text"), connection=sid)}


async def _transcript(chat: ChatService, c: str, d: Mapping[str, Any], sid: str) -> dict[str, Any]:
    return {"text": await chat.transcript(c)}


# What a customer's socket may do once it holds a conversation (its token, or the chat it opened).
_CUSTOMER_COMMANDS: dict[str, Command] = {
    "resume": lambda chat, c, d, sid: chat.resume(c, d.get("after")),
    "send": _send,
    "typing": lambda chat, c, d, sid: chat.customer_typing(c, d.get("typing")),
    "read": lambda chat, c, d, sid: chat.customer_read(c, d.get("seq")),
    "end": lambda chat, c, d, sid: chat.customer_end(c),
    "rate": lambda chat, c, d, sid: chat.rate(c, d.get("stars")),
    "transcript": _transcript,
}


class _AgentNamespace(StaffNamespace):
    roles = ("agent",)

    def __init__(self, tokens: TokenService, chat: ChatService) -> None:
        super().__init__(AGENTS, tokens)
        self._chat = chat

    async def on_connect(self, sid: str, environ: Mapping[str, Any], auth: object = None) -> None:
        principal = await self.authenticate(sid, environ, auth)
        await self.enter_room(sid, f"agent:{principal.user_id}")
        await self.emit("chats", {"chats": self._chat.agent_chats(principal.user_id)}, to=sid)

    async def _agent(self, sid: str) -> str | None:
        """The agent on this socket, or None once its session has ended (token expired or revoked)."""
        principal = await self.principal(sid)
        return None if principal is None else principal.user_id

    async def on_history(self, sid: str, data: object = None) -> dict[str, Any]:
        raw, agent = _data(data), await self._agent(sid)
        if agent is None:
            return _SESSION_ENDED
        return await _answer(
            lambda: self._chat.agent_history(agent, raw.get("conversation_id"), raw.get("after"))
        )

    async def on_send(self, sid: str, data: object = None) -> dict[str, Any]:
        raw, agent = _data(data), await self._agent(sid)
        if agent is None:
            return _SESSION_ENDED

        async def work() -> dict[str, Any]:
            sent = await self._chat.agent_send(
                agent, raw.get("conversation_id"), raw.get("client_id"), raw.get("text")
            )
            return {"stored": sent}

        return await _answer(work)

    async def on_typing(self, sid: str, data: object = None) -> dict[str, Any]:
        raw, agent = _data(data), await self._agent(sid)
        if agent is None:
            return _SESSION_ENDED

        async def work() -> None:
            await self._chat.agent_typing(agent, raw.get("conversation_id"), raw.get("typing"))

        return await _answer(work)

    async def on_read(self, sid: str, data: object = None) -> dict[str, Any]:
        raw, agent = _data(data), await self._agent(sid)
        if agent is None:
            return _SESSION_ENDED

        async def work() -> None:
            await self._chat.agent_read(agent, raw.get("conversation_id"), raw.get("seq"))

        return await _answer(work)

    async def on_end(self, sid: str, data: object = None) -> dict[str, Any]:
        raw, agent = _data(data), await self._agent(sid)
        if agent is None:
            return _SESSION_ENDED

        async def work() -> None:
            await self._chat.agent_end(
                agent, raw.get("conversation_id"), raw.get("disposition"), raw.get("notes")
            )

        return await _answer(work)

    async def on_transfer(self, sid: str, data: object = None) -> dict[str, Any]:
        raw, agent = _data(data), await self._agent(sid)
        if agent is None:
            return _SESSION_ENDED

        async def work() -> None:
            await self._chat.transfer(agent, raw.get("conversation_id"), raw.get("to"), raw.get("note"))

        return await _answer(work)

    async def on_help(self, sid: str, data: object = None) -> dict[str, Any]:
        raw, agent = _data(data), await self._agent(sid)
        if agent is None:
            return _SESSION_ENDED

        async def work() -> dict[str, Any]:
            summary = await self._chat.set_help(agent, raw.get("conversation_id"), raw.get("on"))
            await self._chat.help_changed(summary)
            return {"conversation": summary}

        return await _answer(work)

    async def on_quick_text(self, sid: str, data: object = None) -> dict[str, Any]:
        raw, agent = _data(data), await self._agent(sid)
        if agent is None:
            return _SESSION_ENDED

        async def work() -> dict[str, Any]:
            return {"text": self._chat.quick_text(agent, raw.get("conversation_id"), raw.get("shortcut"))}

        return await _answer(work)


class _SupervisorNamespace(StaffNamespace):
    """A supervisor's chat monitor: every live chat's summary, and any chat read as it happens (`watch`
    joins its room read-only), whispered to, or taken over (then `send`, `typing`, `read` and `end` as its
    agent)."""

    roles = ("supervisor", "admin")

    def __init__(self, tokens: TokenService, chat: ChatService) -> None:
        super().__init__(SUPERVISORS, tokens)
        self._chat = chat

    async def on_connect(self, sid: str, environ: Mapping[str, Any], auth: object = None) -> None:
        await self.authenticate(sid, environ, auth)
        await self.enter_room(sid, "monitors")
        await self.emit("chats", {"chats": self._chat.live_chats()}, to=sid)

    async def _command(
        self,
        sid: str,
        work: Callable[[str, Mapping[str, Any]], Awaitable[dict[str, Any] | None]],
        data: object,
    ) -> dict[str, Any]:
        principal = await self.principal(sid)
        if principal is None:
            return _SESSION_ENDED
        return await _answer(lambda: work(principal.user_id, _data(data)))

    async def on_watch(self, sid: str, data: object = None) -> dict[str, Any]:
        async def work(me: str, d: Mapping[str, Any]) -> dict[str, Any]:
            seen = await self._chat.watch(me, d.get("conversation_id"), d.get("after"))
            await self.enter_room(sid, f"watch:{seen['conversation']['id']}")
            return seen

        return await self._command(sid, work, data)

    async def on_unwatch(self, sid: str, data: object = None) -> dict[str, Any]:
        async def work(me: str, d: Mapping[str, Any]) -> None:
            await self.leave_room(sid, f"watch:{d.get('conversation_id')}")

        return await self._command(sid, work, data)

    async def on_whisper(self, sid: str, data: object = None) -> dict[str, Any]:
        async def work(me: str, d: Mapping[str, Any]) -> dict[str, Any]:
            return {
                "stored": await self._chat.whisper(
                    me, d.get("conversation_id"), d.get("client_id"), d.get("text")
                )
            }

        return await self._command(sid, work, data)

    async def on_take_over(self, sid: str, data: object = None) -> dict[str, Any]:
        async def work(me: str, d: Mapping[str, Any]) -> dict[str, Any]:
            return await self._chat.take_over(me, d.get("conversation_id"))

        return await self._command(sid, work, data)

    async def on_send(self, sid: str, data: object = None) -> dict[str, Any]:
        async def work(me: str, d: Mapping[str, Any]) -> dict[str, Any]:
            sent = await self._chat.agent_send(
                me, d.get("conversation_id"), d.get("client_id"), d.get("text")
            )
            return {"stored": sent}

        return await self._command(sid, work, data)

    async def on_typing(self, sid: str, data: object = None) -> dict[str, Any]:
        async def work(me: str, d: Mapping[str, Any]) -> None:
            await self._chat.agent_typing(me, d.get("conversation_id"), d.get("typing"))

        return await self._command(sid, work, data)

    async def on_read(self, sid: str, data: object = None) -> dict[str, Any]:
        async def work(me: str, d: Mapping[str, Any]) -> None:
            await self._chat.agent_read(me, d.get("conversation_id"), d.get("seq"))

        return await self._command(sid, work, data)

    async def on_end(self, sid: str, data: object = None) -> dict[str, Any]:
        async def work(me: str, d: Mapping[str, Any]) -> None:
            await self._chat.agent_end(me, d.get("conversation_id"), None, None)

        return await self._command(sid, work, data)


class ChatSockets:
    """The two namespaces on the gateway's Socket.IO server, and the chat's `ChatPush` through its rooms."""

    def __init__(self, realtime: RealtimeServer) -> None:
        self._realtime = realtime

    def attach(self, chat: ChatService) -> None:
        self._realtime.register(_CustomerNamespace(chat))
        self._realtime.register(_AgentNamespace(self._realtime.tokens, chat))
        self._realtime.register(_SupervisorNamespace(self._realtime.tokens, chat))

    async def to_customer(
        self, conversation_id: str, event: str, data: Mapping[str, Any], *, skip: str | None = None
    ) -> None:
        await self._realtime.emit(event, data, room=f"conv:{conversation_id}", namespace=CUSTOMERS, skip=skip)

    async def to_agent(self, agent_id: str, event: str, data: Mapping[str, Any]) -> None:
        await self._realtime.emit(event, data, room=f"agent:{agent_id}", namespace=AGENTS)

    async def to_watchers(self, conversation_id: str, event: str, data: Mapping[str, Any]) -> None:
        await self._realtime.emit(event, data, room=f"watch:{conversation_id}", namespace=SUPERVISORS)

    async def to_supervisors(self, event: str, data: Mapping[str, Any]) -> None:
        await self._realtime.emit(event, data, room="monitors", namespace=SUPERVISORS)
