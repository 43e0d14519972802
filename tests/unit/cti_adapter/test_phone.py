"""Phone numbers normalise to E.164 with the configured default region."""

from __future__ import annotations

import pytest

from cti_adapter import InvalidPhoneNumber, Lookup, LookupKind, normalize_phone


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("020 7946 0958", "GB", "+442079460958"),
        ("+44 (0)20 7946 0958", "GB", "+442079460958"),
        ("0044 20 7946 0958", "US", "+442079460958"),
        ("sip:+442079460958@trunk.example.com;user=phone", "GB", "+442079460958"),
        ("tel:+33-1-42-68-53-00", "GB", "+33142685300"),
        ("(202) 555-0173", "US", "+12025550173"),
        ("01 42 68 53 00", "FR", "+33142685300"),
    ],
)
def test_given_a_number_in_any_format_when_normalised_then_it_is_e164(
    raw: str, region: str, expected: str
) -> None:
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize("raw", ["", "anonymous", "123", "+44 20 7946", "sip:alice@example.com"])
def test_given_something_that_is_not_a_number_when_normalised_then_invalid_phone_number_names_it(
    raw: str,
) -> None:
    with pytest.raises(InvalidPhoneNumber) as raised:
        normalize_phone(raw, "GB")

    assert raised.value.raw == raw
    assert repr(raw) in str(raised.value)


def test_given_a_national_number_when_read_in_another_region_then_it_is_refused_not_guessed() -> None:
    assert normalize_phone("020 7946 0958", "GB") == "+442079460958"

    with pytest.raises(InvalidPhoneNumber, match="default region US"):
        normalize_phone("020 7946 0958", "US")


def test_given_lookups_when_built_then_values_are_normalised() -> None:
    assert Lookup.by_phone("020 7946 0958", "gb") == Lookup(LookupKind.PHONE, "+442079460958")
    assert Lookup.by_email("  Ann.Lee@Example.COM ") == Lookup(LookupKind.EMAIL, "ann.lee@example.com")
    assert Lookup.by_account(" 10023456 ") == Lookup(LookupKind.ACCOUNT, "10023456")
