"""What can go wrong in a web chat, each carrying what the customer or agent needs to fix it.

ChatError
├── BadForm                 a pre-chat form field is missing, too long or does not match (names the field)
├── UnknownEntry            the widget names an entry point the configuration does not have
├── BadMessage              empty, too long or not text (names the limit)
├── RateLimited             the visitor sends faster than the configured rate
├── QueueFull               the chat's queue holds its `max_length` already: leave an offline message
├── BadVisitorToken         the visitor token is forged, malformed or expired
├── UnknownConversation     no such conversation
├── NotYourConversation     an agent acts on a chat someone else is handling
└── ConversationEnded       the conversation is over: nothing more can be sent to it
"""

from __future__ import annotations

__all__ = [
    "BadForm",
    "BadMessage",
    "BadVisitorToken",
    "ChatError",
    "ConversationEnded",
    "NotYourConversation",
    "QueueFull",
    "RateLimited",
    "UnknownConversation",
    "UnknownEntry",
]


class ChatError(Exception):
    """Base of the chat's errors; `error_id` is the stable slug clients see."""

    error_id = "chat_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.details = details

    def to_ack(self) -> dict[str, object]:
        return {"ok": False, "error_id": self.error_id, "message": str(self), "details": self.details}


class BadForm(ChatError):
    error_id = "bad_form"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field)
        self.field = field


class UnknownEntry(ChatError):
    error_id = "unknown_entry"


class BadMessage(ChatError):
    error_id = "bad_message"


class RateLimited(ChatError):
    error_id = "rate_limited"


class QueueFull(ChatError):
    error_id = "queue_full"


class BadVisitorToken(ChatError):
    error_id = "bad_visitor_token"


class UnknownConversation(ChatError):
    error_id = "unknown_conversation"


class NotYourConversation(ChatError):
    error_id = "not_your_conversation"


class ConversationEnded(ChatError):
    error_id = "conversation_ended"
