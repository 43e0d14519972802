"""`server.sip.numbers`: which flow a dialled number runs, and where a call to a number is sent."""

from __future__ import annotations

from gateway.voice import OwnNumbers


def _numbers(trunk: bool) -> OwnNumbers:
    return OwnNumbers(
        {"+442079460100": "demo_line"},
        worker_uri=lambda user: f"sip:{user}@127.0.0.1:5080",
        trunk=(lambda number: f"sip:{number}@203.0.113.10") if trunk else None,
    )


def test_given_a_demo_line_when_its_number_is_dialled_with_or_without_plus_then_its_flow_answers() -> None:
    numbers = _numbers(trunk=False)

    assert numbers.flow_for("+442079460100") == "demo_line"
    assert numbers.flow_for("442079460100") == "demo_line"
    assert numbers.flow_for("helpline") is None
    assert numbers.flow_for("+442079460101") is None


def test_given_a_trunk_when_dialling_then_our_number_goes_to_a_worker_and_others_to_the_trunk() -> None:
    numbers = _numbers(trunk=True)

    assert numbers.dial_uri("+442079460100") == "sip:+442079460100@127.0.0.1:5080"
    assert numbers.dial_uri("+442079460101") == "sip:+442079460101@203.0.113.10"


def test_given_no_trunk_when_dialling_another_number_then_there_is_no_route() -> None:
    numbers = _numbers(trunk=False)

    assert numbers.dial_uri("442079460100") == "sip:+442079460100@127.0.0.1:5080"
    assert numbers.dial_uri("+442079460101") is None
