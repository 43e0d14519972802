"""Texts made from a conversation: the agent's quick texts with their fields filled, and the transcript."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from gateway.chat.errors import BadMessage
from gateway.config import QuickTextConfig
from gateway.storage import ConversationRecord, MessageRecord

__all__ = ["expand_quick_text", "transcript_text"]

_FIELD = re.compile(r"\{(customer|agent)\.([a-z_]+)\}")
_ENDED_BY = {"customer": "the customer", "agent": "the agent", "system": "Helpline (no agent could take it)"}


def expand_quick_text(
    texts: Sequence[QuickTextConfig], shortcut: object, *, form: Mapping[str, object], agent_name: str
) -> str:
    """`greet` or `/greet` -> its text with {customer.<field>}, {customer.first_name}, {agent.name} filled."""
    name = shortcut.removeprefix("/") if isinstance(shortcut, str) else ""
    found = next((t for t in texts if t.shortcut == name), None)
    if found is None:
        raise BadMessage(f"no quick text /{name}", shortcuts=[t.shortcut for t in texts])
    customer = {k: str(v) for k, v in form.items()}
    full_name = customer.get("name", "").split()
    customer.setdefault("first_name", full_name[0] if full_name else "")
    agent = {"name": agent_name, "first_name": agent_name.split()[0] if agent_name.split() else agent_name}

    def fill(match: re.Match[str]) -> str:
        scope = customer if match.group(1) == "customer" else agent
        return scope.get(match.group(2), "")

    return _FIELD.sub(fill, found.text)


def _at(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment is not None else "-"


def _seconds(start: datetime | None, end: datetime | None) -> str:
    return f"{(end - start).total_seconds():.0f} s" if start is not None and end is not None else "-"


def transcript_text(
    record: ConversationRecord, messages: Sequence[MessageRecord], agent_names: Mapping[str, str]
) -> str:
    """Participants, times, who ended it, wait and handle times, then every message the customer saw."""
    # every agent who joined (the system's "joined" line names them) or wrote, in order of appearance
    joined = (agent_names.get(m.author_id, m.author_id) for m in messages if m.author_id is not None)
    agents = list(dict.fromkeys(joined))
    lines = [
        f"Chat {record.id}",
        f"Customer: {record.visitor_name}",
        f"Agents: {', '.join(agents) or '-'}",
        f"Started: {_at(record.created_at)}",
        f"Answered: {_at(record.answered_at)}",
        f"Ended: {_at(record.ended_at)}"
        + (f" by {_ENDED_BY.get(record.ended_by, record.ended_by)}" if record.ended_by else ""),
        f"Wait time: {_seconds(record.created_at, record.answered_at)}",
        f"Handle time: {_seconds(record.answered_at, record.ended_at)}",
        "",
    ]
    for message in messages:
        if message.visibility == "all":
            lines.append(f"[{_at(message.at)}] #{message.seq} {message.author_name}: {message.text}")
    return "\n".join(lines) + "\n"
