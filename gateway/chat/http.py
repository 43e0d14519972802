"""REST for chats: a conversation's transcript (linked from the case activity) and its message log (for
supervisors; whispers included)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway.chat._service import ChatService
from gateway.chat.errors import (
    BadMessage,
    ChatError,
    ConversationEnded,
    NotYourConversation,
    UnknownConversation,
)
from gateway.panel import BUILD_COMMAND
from gateway.web import ApiRoute, ErrorMapping, NotFound

__all__ = ["ERRORS", "add_widget_routes", "routes"]

ERRORS: tuple[ErrorMapping[Any], ...] = (
    ErrorMapping(ChatError, 400, "chat_error", lambda e: dict(e.details)),
    ErrorMapping(BadMessage, 400, "bad_message", lambda e: dict(e.details)),
    ErrorMapping(UnknownConversation, 404, "unknown_conversation"),
    ErrorMapping(NotYourConversation, 403, "not_your_conversation"),
    ErrorMapping(ConversationEnded, 409, "conversation_ended"),
)
"""How the chat's errors leave the API (given to the error middleware by the composition root)."""

_READERS = ("agent", "supervisor", "admin", "integration")
_SUPERVISORS = ("supervisor", "admin")


def routes(chat: ChatService) -> list[ApiRoute]:
    async def transcript(request: web.Request) -> web.StreamResponse:
        text = await chat.transcript(request.match_info["conversation_id"])
        return web.Response(text=text, content_type="text/plain", charset="utf-8")

    async def messages(request: web.Request) -> web.StreamResponse:
        found = await chat.messages(request.match_info["conversation_id"], include_whispers=True)
        return web.json_response({"items": found})

    base = "/api/v1/chats/{conversation_id}"
    return [
        ApiRoute(
            "GET", f"{base}/transcript", transcript, "A chat's transcript as text", _READERS, errors=(404,)
        ),
        ApiRoute(
            "GET",
            f"{base}/messages",
            messages,
            "A chat's messages, whispers included",
            _SUPERVISORS,
            errors=(404,),
        ),
    ]


_WIDGET_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "cross-origin",  # any site may include the script
}


def add_widget_routes(app: web.Application, assets: Path) -> None:
    """GET /chat/widget.js (and its source map), built with the panel into `assets`."""

    def serve(name: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            path = assets / name
            if not await asyncio.to_thread(path.is_file):
                raise NotFound(
                    f"the chat widget is not built: {BUILD_COMMAND}", details={"path": request.path}
                )
            return web.FileResponse(path, headers=_WIDGET_HEADERS)

        return handler

    app.router.add_get("/chat/widget.js", serve("widget.js"))
    app.router.add_get("/chat/widget.js.map", serve("widget.js.map"))
