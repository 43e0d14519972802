"""The trunk's URI template: where a phone number is sent."""

from __future__ import annotations

import pytest

from gateway.config import ConfigError, TrunkConfig, parse_config


def test_given_a_trunk_template_when_a_number_is_dialled_then_it_fills_the_user_part() -> None:
    trunk = TrunkConfig(uri="sip:{number}@203.0.113.10:5060")
    assert trunk.uri_for("+442079460000") == "sip:+442079460000@203.0.113.10:5060"


def test_given_strip_plus_when_an_e164_number_is_dialled_then_the_plus_is_left_out() -> None:
    trunk = TrunkConfig(uri="sip:9{number}@pbx.example;user=phone", strip_plus=True)
    assert trunk.uri_for("+442079460000") == "sip:9442079460000@pbx.example;user=phone"


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("sip:{number}@a <x>", "must not contain spaces, quotes or angle brackets"),
        ("sip:{number}{number}@a.example", "must contain {number} exactly once"),
        ("sip:{numbr}{number}@a.example", "only {number} may be written in braces"),
    ],
)
def test_given_a_bad_template_when_loaded_then_the_error_names_the_trunk_uri(uri: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"server": {"sip": {"trunk": {"uri": uri}}}})
    [found] = info.value.problems
    assert found.path == "server.sip.trunk.uri" and found.message.startswith(problem), found
