"""A conversation's values: its live state in the service, the interaction each leg is routed as, and the
small parsers for what clients send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gateway.acd import Channel, NewInteraction, SkillRequirement
from gateway.chat._form import PreChat
from gateway.chat.errors import BadMessage
from gateway.config import ChatEntryConfig
from gateway.storage import ConversationRecord

__all__ = ["Live", "chat_interaction", "chat_queue", "client_id", "now", "public", "seq_of"]


@dataclass(slots=True)
class Live:
    """An open conversation: its record as stored, how many interactions it has had, the last position."""

    record: ConversationRecord
    legs: int = 1
    position: tuple[int, float] | None = None
    taken_by: str | None = None  # the supervisor who took the chat over (the routed leg has ended)


def now() -> datetime:
    return datetime.now(UTC)


def chat_queue(pre: PreChat, entry: ChatEntryConfig) -> str:
    """The queue a chat from this form goes to: its topic's, else the entry point's."""
    topic = pre.topic
    return (topic.queue if topic and topic.queue else None) or entry.queue


def chat_interaction(
    record: ConversationRecord, pre: PreChat, entry: ChatEntryConfig, *, leg: int
) -> NewInteraction:
    """The interaction leg `leg` of the conversation is routed as: the topic's queue, skills and priority,
    the form's fields as attributes (the CRM identifies the customer by e-mail or phone from them)."""
    topic = pre.topic
    skills = (
        tuple(SkillRequirement(s, lvl) for s, lvl in topic.skills.items()) if topic and topic.skills else None
    )
    values = dict(pre.values)
    return NewInteraction(
        id=f"{record.id}-{leg}",
        queue=chat_queue(pre, entry),
        channel=Channel.CHAT,
        skills=skills,
        priority=topic.priority if topic else 0,
        attributes={**values, "conversation_id": record.id, "entry": entry.id},
        customer_ref=values.get("email"),
    )


def public(record: ConversationRecord) -> dict[str, Any]:
    """What the customer may see of their conversation."""
    return {
        "id": record.id,
        "entry": record.entry,
        "state": record.state,
        "visitor_name": record.visitor_name,
        "form": record.form,
        "agent_name": record.agent_name,
        "created_at": record.created_at.timestamp(),
        "ended_by": record.ended_by,
        "read_by_agent": record.agent_read_seq,  # the customer's messages up to here are read
    }


def seq_of(value: object) -> int:
    """A client's "after seq N": anything but a non-negative integer means from the start."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def client_id(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        raise BadMessage("client_id must be a string of 1-64 characters")
    return value
