"""REST for chats: a conversation's transcript (linked from the case activity) and its message log (for
supervisors; whispers included)."""

from __future__ import annotations

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
from gateway.web import ApiRoute, ErrorMapping

__all__ = ["ERRORS", "routes"]

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
