"""The `chat:` section: which sites may embed the widget, the pre-chat forms per entry point, quick texts,
and the limits a customer's messages are held to."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "ChatConfig",
    "ChatEntryConfig",
    "ChatFieldConfig",
    "ChatRateLimitConfig",
    "ChatStickyConfig",
    "ChatTopicConfig",
    "QuickTextConfig",
]

_Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
_FIELD_PLACEHOLDER = re.compile(r"\{([a-z_]+)\.([a-z_]+)\}")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ChatFieldConfig(_Frozen):
    """One field of a pre-chat form; `name` is also the attribute it becomes on the interaction."""

    name: _Identifier
    label: str = Field(min_length=1, max_length=100)
    required: bool = False
    max_length: int = Field(default=200, gt=0, le=2000)
    pattern: str | None = Field(default=None, description="a regular expression the whole value must match")
    kind: str = Field(default="text", pattern=r"^(text|email|tel|topic)$")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


class ChatTopicConfig(_Frozen):
    """What choosing a topic does: the queue, skills and priority the chat is routed with."""

    label: str = Field(min_length=1, max_length=100)
    queue: _Identifier | None = None
    skills: dict[_Identifier, Annotated[int, Field(ge=1, le=10)]] = {}
    priority: int = Field(default=0, ge=-100, le=100)


class ChatEntryConfig(_Frozen):
    """An entry point: one widget configuration (`data-entry` on the script tag)."""

    id: _Identifier
    title: str = Field(default="Chat with us", min_length=1, max_length=100)
    queue: _Identifier
    business_hours: _Identifier | None = None
    fields: tuple[ChatFieldConfig, ...] = ()
    topics: dict[_Identifier, ChatTopicConfig] = {}

    @model_validator(mode="after")
    def _consistent(self) -> ChatEntryConfig:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("a field name is given twice")
        topic_fields = [f for f in self.fields if f.kind == "topic"]
        if len(topic_fields) > 1:
            raise ValueError("at most one field may be of kind topic")
        if topic_fields and not self.topics:
            raise ValueError(f"field {topic_fields[0].name!r} is a topic but no topics are given")
        return self


class QuickTextConfig(_Frozen):
    """`/shortcut` in the agent's composer becomes `text`, with {customer.x} and {agent.name} filled in."""

    shortcut: _Identifier
    text: str = Field(min_length=1, max_length=2000)

    @field_validator("text")
    @classmethod
    def _known_fields(cls, value: str) -> str:
        for scope, _name in _FIELD_PLACEHOLDER.findall(value):
            if scope not in ("customer", "agent"):
                raise ValueError(f"{{{scope}.…}}: only {{customer.<field>}} and {{agent.name}} are filled in")
        return value


class ChatRateLimitConfig(_Frozen):
    messages: int = Field(default=20, gt=0, le=10_000)
    per_seconds: float = Field(default=10.0, gt=0, le=3600)


class ChatStickyConfig(_Frozen):
    """A returning customer's chat goes first to the agent who last served them (found by the CRM customer
    id, else the form's e-mail). How long it waits for that agent is the chat queue's own business: with a
    `drop_preferred_agent` relaxation step it waits for them alone until the step, then any agent may take
    it; without one it goes to them only when they can take it at once, else to whoever the queue picks."""

    enabled: bool = False
    lookback_days: float = Field(
        default=90.0, gt=0, le=3650, description="only a conversation this recent names the last agent"
    )


class ChatConfig(_Frozen):
    allowed_origins: tuple[str, ...] = Field(
        default=(),
        description="sites (scheme://host[:port]) whose pages may open the chat; none by default, never *",
    )
    max_message_length: int = Field(default=2000, gt=0, le=20_000)
    rate_limit: ChatRateLimitConfig = Field(
        default=ChatRateLimitConfig(), description="messages one conversation may send"
    )
    open_rate_limit: ChatRateLimitConfig = Field(
        default=ChatRateLimitConfig(messages=5, per_seconds=60),
        description="chats and offline messages one network address may open",
    )
    visitor_token_ttl_seconds: int = Field(default=24 * 3600, gt=0, le=30 * 24 * 3600)
    entries: tuple[ChatEntryConfig, ...] = ()
    quick_texts: tuple[QuickTextConfig, ...] = ()
    sticky_agent: ChatStickyConfig = Field(
        default=ChatStickyConfig(), description="route a returning customer to the agent who last served them"
    )

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if not _ORIGIN.match(origin):
                raise ValueError(
                    f"{origin!r} is not an origin like https://shop.example.com[:port] (no * or path)"
                )
        return value

    def entry(self, entry_id: str) -> ChatEntryConfig | None:
        return next((e for e in self.entries if e.id == entry_id), None)
