"""Phone numbers in one shape: E.164, read with the `phonenumbers` library and a default region."""

from __future__ import annotations

import phonenumbers

from cti_adapter.errors import InvalidPhoneNumber

__all__ = ["normalize_phone"]


def normalize_phone(raw: str, default_region: str) -> str:
    """`raw` as E.164 (`+442079460000`); national numbers are read in `default_region` (ISO 3166, e.g. GB).

    SIP callers arrive as `sip:+44...@host`, `tel:` URIs or with a leading `00`; all are accepted.
    Raises InvalidPhoneNumber for anything that is not a valid number.
    """
    text = _strip_uri(raw.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, default_region.upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(raw, default_region, str(exc).split(") ", 1)[-1]) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(raw, default_region, "not a valid number for its country")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _strip_uri(text: str) -> str:
    for scheme in ("sip:", "sips:", "tel:"):
        if text.lower().startswith(scheme):
            text = text[len(scheme) :]
            break
    text = text.split(";", 1)[0]
    return text.split("@", 1)[0]
