"""Whatever the configuration holds, parsing ends in flows or in FlowValidationError, never a crash."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.ivr import VERBS, FlowValidationError, parse_flows

_WORDS = [
    *VERBS,
    "id", "prompt", "options", "timeout", "retries", "on_invalid", "on_no_input", "attribute", "min_length",
    "max_length", "terminator", "pattern", "sensitive", "on_failure", "when", "default", "caller",
    "business_hours", "is", "equals", "in", "matches", "exists", "gt", "lt", "goto", "by", "queue",
    "priority", "skills", "skill", "min_level", "announcements", "allow_callback", "allow_voicemail",
    "uri", "text", "file", "main", "other", "next", "repeat", "office", "support", "1", "#", "[0-9",
    "sip:a@b", "x.wav", "open", "closed", "main.start", "start",
]  # fmt: skip
_scalars = (
    st.none() | st.booleans() | st.integers(-3, 20) | st.floats(allow_nan=False) | st.sampled_from(_WORDS)
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(_WORDS) | st.integers(0, 12), inner, max_size=5)
    ),
    max_leaves=25,
)
_steps = st.lists(st.dictionaries(st.sampled_from(_WORDS), _values, max_size=3) | _scalars, max_size=6)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(["main", "other", "start", "bad name", "next"]), _steps | _values))
def test_given_any_yaml_shaped_flows_when_parsed_then_flows_or_validation_errors(raw: object) -> None:
    try:
        flows = parse_flows(raw, queues={"support"}, business_hours={"office"})
    except FlowValidationError as exc:
        assert exc.errors and all(e.path.startswith("flows") and e.message for e in exc.errors)
    else:
        assert set(flows) <= {"main", "other", "start"}
