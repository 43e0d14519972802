from __future__ import annotations

from pathlib import Path

import pytest

from gateway.ivr import (
    HANGUP,
    NEXT,
    REPEAT,
    Collect,
    FlowValidationError,
    Lookup,
    LookupBy,
    Menu,
    Play,
    Queue,
    Say,
    Target,
    TargetKind,
    Transfer,
    parse_flows,
    takes_speech,
)
from tests.unit.ivr._fixtures import BAD, GOOD, expectations, load, parse_file


def _errors(path: Path) -> list[str]:
    with pytest.raises(FlowValidationError) as caught:
        parse_file(path)
    return [str(error) for error in caught.value.errors]


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_given_good_fixture_when_parsed_then_every_flow_is_built(path: Path) -> None:
    flows = parse_file(path)

    assert set(flows) == set(load(path)["flows"])
    assert all(flow.steps for flow in flows.values())


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_given_bad_fixture_when_parsed_then_the_error_names_path_and_mistake(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} has no '# expect:' line"

    errors = _errors(path)

    for text in expected:
        assert any(text in error for error in errors), f"{text!r} not in {errors}"


def test_given_many_mistakes_when_parsed_then_all_are_reported_at_once() -> None:
    path = next(p for p in BAD if p.stem == "many_mistakes")

    errors = _errors(path)

    assert sorted(errors) == sorted(expectations(path))


def test_given_errors_when_printed_then_the_message_lists_each_one() -> None:
    raw = {"main": [{"sya": "hi"}, {"hangup": None}], "other": []}

    with pytest.raises(FlowValidationError) as caught:
        parse_flows(raw, queues=set(), business_hours=set())

    assert str(caught.value).splitlines() == [
        "2 error(s) in IVR flows:",
        "  flows.main[0]: unknown verb 'sya' (did you mean 'say'?)",
        "  flows.other: empty flow: a flow needs at least one step",
    ]


def test_given_a_custom_path_when_parsed_then_errors_start_with_it() -> None:
    with pytest.raises(FlowValidationError) as caught:
        parse_flows({"main": [{"play": 3}]}, queues=set(), business_hours=set(), path="ivr.flows")

    assert [str(e) for e in caught.value.errors] == ["ivr.flows.main[0].play: expected text, got 3"]


def test_given_flows_not_a_mapping_when_parsed_then_one_error_at_the_root() -> None:
    with pytest.raises(FlowValidationError) as caught:
        parse_flows(["main"], queues=set(), business_hours=set())

    assert [str(e) for e in caught.value.errors] == [
        "flows: expected a mapping of flow name to a list of steps, got a list"
    ]


def test_given_no_flows_when_parsed_then_nothing_is_built() -> None:
    assert parse_flows(None, queues=set(), business_hours=set()) == {}


def test_given_main_menu_when_parsed_then_options_resolve_to_flows_labels_and_reserved_words() -> None:
    flows = parse_file(next(p for p in GOOD if p.stem == "main_menu"))

    menu = flows["main"].steps[3].verb
    assert isinstance(menu, Menu)
    assert flows["main"].steps[3].label == "main_menu"
    targets = {option.digit: option.target for option in menu.options}
    assert targets == {
        "1": Target(TargetKind.STEP, "billing"),
        "2": Target(TargetKind.STEP, "support"),
        "3": Target(TargetKind.STEP, "sales"),
        "0": Target(TargetKind.STEP, "main", "front_desk"),
        "9": REPEAT,
    }
    support = menu.option("2")
    assert support is not None and support.speech == ("support", "help", "technical")
    assert (menu.timeout_seconds, menu.retries, menu.on_no_input) == (6.0, 2, HANGUP)


def test_given_sensitive_collect_when_parsed_then_limits_pattern_and_failure_target_are_kept() -> None:
    flows = parse_file(next(p for p in GOOD if p.stem == "main_menu"))

    collect = flows["billing"].steps[0].verb
    assert isinstance(collect, Collect)
    assert (collect.attribute, collect.min_length, collect.max_length, collect.terminator) == (
        "account_number",
        8,
        8,
        "#",
    )
    assert collect.sensitive and collect.pattern is not None and collect.pattern.pattern == "^[0-9]{8}$"
    assert collect.on_failure == Target(TargetKind.STEP, "main", "front_desk")
    assert flows["billing"].steps[1].verb == Lookup(LookupBy.ATTRIBUTE, "account_number")


def test_given_shorthand_steps_when_parsed_then_defaults_fill_the_rest() -> None:
    flows = parse_file(next(p for p in GOOD if p.stem == "shorthand"))

    assert flows["main"].steps[0].verb == Say("Hello")
    assert flows["main"].steps[1].verb == Play("prompts/hello.wav")
    assert flows["operator"].steps[0].verb == Transfer("sips:operator@[2001:db8::1]:5061", HANGUP)
    queue = flows["sales"].steps[0].verb
    assert isinstance(queue, Queue) and (queue.queue, queue.priority, queue.on_exit) == ("sales", 0, HANGUP)


def test_given_unquoted_digit_key_when_parsed_then_it_is_the_digit() -> None:
    flows = parse_file(next(p for p in GOOD if p.stem == "targets"))

    menu = flows["main"].steps[0].verb
    assert isinstance(menu, Menu)
    assert menu.option("1") is not None
    assert menu.on_no_input == NEXT


@pytest.mark.parametrize(
    "uri",
    ["sip:alice@example.com", "sip:example.com", "sips:bob@10.0.0.1:5061", "sip:100@pbx;transport=tcp"],
)
def test_given_valid_sip_uri_when_parsed_then_transfer_is_built(uri: str) -> None:
    flows = parse_flows({"main": [{"transfer": uri}]}, queues=set(), business_hours=set())

    assert flows["main"].steps[0].verb == Transfer(uri, HANGUP)


@pytest.mark.parametrize(
    "uri", ["tel:+15550100", "sip:", "sip:alice@", "sip:a@b:99999", "http://x", "sip:a b@c"]
)
def test_given_invalid_sip_uri_when_parsed_then_it_is_rejected(uri: str) -> None:
    with pytest.raises(FlowValidationError) as caught:
        parse_flows({"main": [{"transfer": uri}]}, queues=set(), business_hours=set())

    assert [e.message for e in caught.value.errors] == [
        f"invalid SIP URI {uri!r}: expected sip:user@host[:port] or sips:..."
    ]


@pytest.mark.parametrize(
    ("step", "listens"),
    [
        (
            {"menu": {"prompt": "1 or 2", "options": {"1": "next", "2": {"goto": "next", "speech": "help"}}}},
            True,
        ),
        ({"menu": {"prompt": "1 or 2", "options": {"1": "next", "2": "next"}}}, False),
        ({"collect": {"attribute": "ok", "prompt": "Yes?", "speech": {"1": ["yes"]}}}, True),
        ({"collect": {"attribute": "account", "prompt": "Account?", "speech": "digits"}}, True),
        ({"collect": {"attribute": "account", "prompt": "Account?"}}, False),
    ],
)
def test_given_a_flow_when_asked_whether_it_takes_speech_then_steps_that_listen_say_so(
    step: dict[str, object], listens: bool
) -> None:
    # the gateway starts the live recogniser only for flows that listen
    flows = parse_flows({"main": [step, "hangup"]}, queues=set(), business_hours=set())

    assert takes_speech(flows) is listens
