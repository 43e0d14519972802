"""The chat's values as clients see them, and the ports the chat service is given (store, sockets)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from gateway.storage import ConversationRecord, MessageRecord

__all__ = ["ChatPush", "ChatStore", "message_json"]


class ChatStore(Protocol):
    """Where conversations and messages live (gateway.storage.ChatRecords: SQLite or PostgreSQL)."""

    async def create(self, record: ConversationRecord) -> None: ...

    async def update(self, conversation_id: str, **changes: Any) -> None: ...

    async def get(self, conversation_id: str) -> ConversationRecord | None: ...

    async def open_conversations(self) -> list[ConversationRecord]: ...

    async def last_agents(
        self, *, customer_id: str | None, email: str | None, since: datetime, limit: int = 5
    ) -> list[str]: ...

    async def append(self, message: MessageRecord) -> tuple[MessageRecord, bool]: ...

    async def messages(
        self, conversation_id: str, *, after: int = 0, include_agents_only: bool = False
    ) -> list[MessageRecord]: ...

    async def close(self) -> None: ...


class ChatPush(Protocol):
    """Where chat events go: the customer's sockets of one conversation, one agent's sockets, the supervisors
    watching a conversation, or every supervisor's chat monitor."""

    async def to_customer(
        self, conversation_id: str, event: str, data: Mapping[str, Any], *, skip: str | None = None
    ) -> None:
        """The customer's connections to the conversation (a page in several tabs), but `skip`: the one a
        message came from, whose acknowledgement carries it already."""

    async def to_agent(self, agent_id: str, event: str, data: Mapping[str, Any]) -> None: ...

    async def to_watchers(self, conversation_id: str, event: str, data: Mapping[str, Any]) -> None:
        """The supervisors reading this conversation."""

    async def to_supervisors(self, event: str, data: Mapping[str, Any]) -> None:
        """Every supervisor's chat monitor (a conversation's summary changed)."""


def message_json(message: MessageRecord) -> dict[str, Any]:
    return {
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "sender": message.sender,
        "author_name": message.author_name,
        "text": message.text,
        "at": message.at.timestamp(),
        "client_id": message.client_id,
        "visibility": message.visibility,
    }
