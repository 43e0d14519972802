"""Digit gathering, transfer targets and caller ids: the pure parts of the voice service."""

from __future__ import annotations

import pytest

from gateway.ivr import CollectDigits, DigitsCollected, NoInput, Say
from gateway.voice import TargetKind, TransferTarget, parse_target
from gateway.voice._digits import DigitBuffer
from gateway.voice._uris import address_of, user_of


def _ask(max_digits: int = 4, terminator: str | None = "#") -> CollectDigits:
    return CollectDigits(Say("Your number"), 1, max_digits, terminator, 5.0)


def test_given_a_terminator_when_it_is_keyed_then_the_entry_is_complete_with_it() -> None:
    buffer = DigitBuffer(_ask())
    assert buffer.feed("4") is None
    assert buffer.feed("2") is None
    assert buffer.feed("#") == DigitsCollected("42#")


def test_given_a_maximum_when_it_is_reached_then_the_entry_is_complete_without_a_terminator() -> None:
    buffer = DigitBuffer(_ask(max_digits=2, terminator=None))
    assert buffer.feed("1") is None
    assert buffer.feed("2") == DigitsCollected("12")


def test_given_a_time_out_when_nothing_was_keyed_then_it_is_no_input_else_what_was_keyed() -> None:
    assert DigitBuffer(_ask()).expire() == NoInput()
    buffer = DigitBuffer(_ask())
    buffer.feed("7")
    assert buffer.expire() == DigitsCollected("7")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("queue:billing", TransferTarget(TargetKind.QUEUE, "billing")),
        ("agent:bob", TransferTarget(TargetKind.AGENT, "bob")),
        ("sip:desk@pbx.example.com", TransferTarget(TargetKind.URI, "sip:desk@pbx.example.com")),
        ("+441234567", TransferTarget(TargetKind.NUMBER, "+441234567")),
    ],
)
def test_given_a_transfer_target_when_parsed_then_its_kind_is_known(
    text: str, expected: TransferTarget
) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize("text", ["", "queue:", "agent:bad name", "sip:", "somewhere else", "mailto:x@y"])
def test_given_a_bad_transfer_target_when_parsed_then_it_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="transfer target"):
        parse_target(text)


def test_given_a_from_header_when_read_then_the_uri_and_the_caller_number_come_out() -> None:
    header = '"Caller" <sip:+15550100@127.0.0.1:5070>;tag=abc'
    assert address_of(header) == "sip:+15550100@127.0.0.1:5070"
    assert user_of(header) == "+15550100"
    assert user_of("sip:pbx.example.com") == "pbx.example.com"
