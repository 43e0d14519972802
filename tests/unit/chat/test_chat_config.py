"""The `chat:` section is checked on load: origins are explicit, entries name chat queues."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.config import ConfigError, parse_config

QUEUES = [{"id": "calls", "name": "Calls"}, {"id": "web", "name": "Web", "channel": "chat"}]
ENTRY = {"id": "site", "queue": "web", "fields": [{"name": "name", "label": "Name"}]}


def _config(**chat: Any) -> dict[str, Any]:
    return {"queues": QUEUES, "chat": {"entries": [ENTRY], **chat}}


def test_given_defaults_when_loaded_then_no_other_origin_is_allowed() -> None:
    assert parse_config(_config()).chat.allowed_origins == ()


@pytest.mark.parametrize(
    "origin", ["*", "https://shop.example.com/path", "shop.example.com", "https://*.example.com"]
)
def test_given_wildcard_or_malformed_origin_when_loaded_then_refused(origin: str) -> None:
    with pytest.raises(ConfigError, match="allowed_origins"):
        parse_config(_config(allowed_origins=[origin]))


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({**ENTRY, "queue": "calls"}, "queue 'calls' is not a chat queue"),
        ({**ENTRY, "queue": "nope"}, "queue 'nope' is not a chat queue"),
        ({**ENTRY, "business_hours": "never"}, "unknown business_hours 'never'"),
        (
            {**ENTRY, "topics": {"t": {"label": "T", "queue": "calls"}}},
            "topic 't' 'calls' is not a chat queue",
        ),
        (
            {**ENTRY, "fields": [{"name": "x", "label": "X", "pattern": "("}]},
            "not a valid regular expression",
        ),
        ({**ENTRY, "fields": [{"name": "t", "label": "T", "kind": "topic"}]}, "no topics are given"),
    ],
)
def test_given_inconsistent_entry_when_loaded_then_the_problem_is_named(
    entry: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem.replace("(", r"\(")):
        parse_config({"queues": QUEUES, "chat": {"entries": [entry]}})


def test_given_quick_text_with_unknown_scope_when_loaded_then_refused() -> None:
    with pytest.raises(ConfigError, match="only"):
        parse_config(_config(quick_texts=[{"shortcut": "x", "text": "{case.id}"}]))


def test_given_no_sticky_agent_section_when_loaded_then_sticky_routing_is_off() -> None:
    sticky = parse_config(_config()).chat.sticky_agent
    assert sticky.enabled is False
    assert sticky.lookback_days == 90


def test_given_sticky_agent_when_loaded_then_kept() -> None:
    sticky = parse_config(_config(sticky_agent={"enabled": True, "lookback_days": 30})).chat.sticky_agent
    assert (sticky.enabled, sticky.lookback_days) == (True, 30)


@pytest.mark.parametrize("bad", [{"lookback_days": 0}, {"enabled": True, "after_seconds": 5}])
def test_given_bad_sticky_agent_when_loaded_then_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="sticky_agent"):
        parse_config(_config(sticky_agent=bad))
