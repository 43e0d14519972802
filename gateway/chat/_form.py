"""The pre-chat form and message text, checked once at the edge: what is wrong names its field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from gateway.chat.errors import BadForm, BadMessage
from gateway.config import ChatEntryConfig
from gateway.config._chat import ChatTopicConfig

__all__ = ["PreChat", "check_text", "parse_form"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TEL = re.compile(r"^\+?[0-9 ()./-]{3,32}$")


VISITOR_NAME_LENGTH = 200  # chat_conversations.visitor_name


@dataclass(frozen=True, slots=True)
class PreChat:
    """A submitted form: the values as typed, and the topic chosen (if the form has one)."""

    values: tuple[tuple[str, str], ...]
    topic: ChatTopicConfig | None = None

    @property
    def visitor_name(self) -> str:
        """The name shown to agents; the form (kept whole) may allow a longer one than its column holds."""
        return (dict(self.values).get("name") or "Visitor")[:VISITOR_NAME_LENGTH]


def _no_nul(field: str, value: str) -> None:
    if "\x00" in value:
        raise BadForm(field, "must not contain NUL characters")


def parse_form(entry: ChatEntryConfig, raw: object) -> PreChat:
    if not isinstance(raw, Mapping):
        raise BadForm("form", "must be an object of field name -> text")
    known = {f.name for f in entry.fields}
    unknown = sorted(str(k) for k in raw if k not in known)
    if unknown:
        raise BadForm(unknown[0], f"is not a field of entry {entry.id!r}")
    values: list[tuple[str, str]] = []
    topic: ChatTopicConfig | None = None
    for field in entry.fields:
        value = raw.get(field.name)
        if value is None or value == "":
            if field.required:
                raise BadForm(field.name, "is required")
            continue
        if not isinstance(value, str):
            raise BadForm(field.name, "must be text")
        _no_nul(field.name, value)
        if len(value) > field.max_length:
            raise BadForm(field.name, f"is {len(value)} characters long; at most {field.max_length}")
        if field.required and not value.strip():
            raise BadForm(field.name, "is required")
        if field.pattern is not None and re.fullmatch(field.pattern, value) is None:
            raise BadForm(field.name, "does not have the expected format")
        if field.kind == "email" and _EMAIL.match(value) is None:
            raise BadForm(field.name, "is not an e-mail address")
        if field.kind == "tel" and _TEL.match(value) is None:
            raise BadForm(field.name, "is not a phone number")
        if field.kind == "topic":
            topic = entry.topics.get(value)
            if topic is None:
                raise BadForm(field.name, f"must be one of {', '.join(sorted(entry.topics))}")
        values.append((field.name, value))
    return PreChat(tuple(values), topic)


def check_text(text: object, *, max_length: int) -> str:
    """A message as sent, unchanged (any Unicode is kept exactly), or BadMessage saying what is wrong."""
    if not isinstance(text, str):
        raise BadMessage("text must be a string")
    if not text.strip():
        raise BadMessage("text is empty")
    if "\x00" in text:
        raise BadMessage("text must not contain NUL characters")
    if len(text) > max_length:
        raise BadMessage(
            f"text is {len(text)} characters long; at most {max_length} are allowed",
            length=len(text),
            max_length=max_length,
        )
    return text
