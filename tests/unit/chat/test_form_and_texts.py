"""The pre-chat form and the texts made from a conversation: quick texts and the transcript."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.chat._form import check_text, parse_form
from gateway.chat._texts import expand_quick_text, transcript_text
from gateway.chat.errors import BadForm, BadMessage
from gateway.config import ChatEntryConfig, QuickTextConfig
from gateway.storage import ConversationRecord, MessageRecord

ENTRY = ChatEntryConfig.model_validate(
    {
        "id": "web",
        "queue": "chat",
        "fields": [
            {"name": "name", "label": "Name", "required": True, "max_length": 20},
            {"name": "order", "label": "Order", "pattern": "[0-9]{6}"},
            {"name": "topic", "label": "Topic", "kind": "topic", "required": True},
        ],
        "topics": {"billing": {"label": "Billing", "queue": "chat-billing", "priority": 2}},
    }
)


def test_given_valid_form_when_parsed_then_values_kept_exactly_and_topic_chosen() -> None:
    pre = parse_form(ENTRY, {"name": "  Zoë 👩🏽‍💻 ", "order": "123456", "topic": "billing"})
    assert dict(pre.values)["name"] == "  Zoë 👩🏽‍💻 "
    assert pre.topic is not None and pre.topic.queue == "chat-billing" and pre.topic.priority == 2


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"topic": "billing"}, "name"),
        ({"name": "Ann", "order": "12345x", "topic": "billing"}, "order"),
        ({"name": "Ann", "topic": "nope"}, "topic"),
        ({"name": "A" * 21, "topic": "billing"}, "name"),
        ({"name": "Ann", "topic": "billing", "extra": "x"}, "extra"),
        ("not a mapping", "form"),
    ],
)
def test_given_bad_form_when_parsed_then_the_field_is_named(form: object, field: str) -> None:
    with pytest.raises(BadForm) as caught:
        parse_form(ENTRY, form)
    assert caught.value.field == field


def test_given_texts_when_checked_then_limits_apply_and_unicode_survives() -> None:
    assert check_text("e\u0301 שלום", max_length=10) == "e\u0301 שלום"
    with pytest.raises(BadMessage, match="at most 3"):
        check_text("abcd", max_length=3)
    for bad in ("", "   ", None, 3, "a\x00b"):
        with pytest.raises(BadMessage):
            check_text(bad, max_length=10)


def test_given_quick_text_when_expanded_then_customer_and_agent_fields_filled() -> None:
    texts = (
        QuickTextConfig(
            shortcut="greet", text="Hello {customer.first_name}, I'm {agent.name} ({customer.x})"
        ),
    )
    filled = expand_quick_text(texts, "/greet", form={"name": "Grace Hopper"}, agent_name="Alice Martin")
    assert filled == "Hello Grace, I'm Alice Martin ()"
    with pytest.raises(BadMessage, match="no quick text /nope"):
        expand_quick_text(texts, "nope", form={}, agent_name="A")


def test_given_ended_chat_when_transcribed_then_header_and_visible_messages_in_order() -> None:
    start = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    record = ConversationRecord(
        id="c1",
        entry="web",
        interaction_id="c1-2",
        visitor_name="Grace",
        form={},
        state="ended",
        created_at=start,
        answered_at=start + timedelta(seconds=30),
        ended_at=start + timedelta(seconds=330),
        ended_by="customer",
    )
    messages = [
        MessageRecord("c1", 1, "system", "Helpline", "Alice joined", start, author_id="alice"),
        MessageRecord("c1", 2, "customer", "Grace", "<b>hi</b>", start),
        MessageRecord(
            "c1", 3, "agent", "Alice", "for agents only", start, author_id="alice", visibility="agents"
        ),
        MessageRecord("c1", 4, "system", "Helpline", "Bob joined", start, author_id="bob"),
    ]
    text = transcript_text(record, messages, {"alice": "Alice Martin", "bob": "Bob Okafor"})
    assert "Agents: Alice Martin, Bob Okafor" in text
    assert "Wait time: 30 s" in text and "Handle time: 300 s" in text and "by the customer" in text
    assert "<b>hi</b>" in text and "for agents only" not in text
    assert text.index("Alice joined") < text.index("<b>hi</b>") < text.index("Bob joined")
