"""Webhook signatures: HMAC-SHA256 over timestamp and body, refused outside the replay window."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from cti_adapter.external import sign, verify_signature

SECRET = "s3cret-shared-with-the-crm"
BODY = b'{"id":"k1","type":"screen_pop","data":{}}'
SENT = 1_714_561_200


def test_given_a_body_when_signed_then_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{SENT}.".encode() + BODY, hashlib.sha256).hexdigest()

    assert sign(SECRET, SENT, BODY) == f"sha256={expected}"


def test_given_a_fresh_signed_request_when_verified_then_it_is_accepted() -> None:
    assert verify_signature(SECRET, str(SENT), BODY, sign(SECRET, SENT, BODY), now=SENT + 3)


@pytest.mark.parametrize(
    ("secret", "timestamp", "body"),
    [
        ("another-secret-entirely", str(SENT), BODY),
        (SECRET, str(SENT + 1), BODY),
        (SECRET, str(SENT), BODY.replace(b"screen_pop", b"case.filed")),
    ],
    ids=["wrong secret", "timestamp changed", "body changed"],
)
def test_given_a_tampered_request_when_verified_then_it_is_refused(
    secret: str, timestamp: str, body: bytes
) -> None:
    assert not verify_signature(secret, timestamp, body, sign(SECRET, SENT, BODY), now=SENT)


@pytest.mark.parametrize("now", [SENT + 301, SENT - 301], ids=["replayed later", "from the future"])
def test_given_a_valid_signature_outside_the_window_when_verified_then_it_is_refused(now: int) -> None:
    assert not verify_signature(SECRET, str(SENT), BODY, sign(SECRET, SENT, BODY), now=now, window=300)


def test_given_the_window_edge_when_verified_then_it_is_still_accepted() -> None:
    assert verify_signature(SECRET, str(SENT), BODY, sign(SECRET, SENT, BODY), now=SENT + 300, window=300)


def test_given_a_timestamp_that_is_not_a_number_when_verified_then_it_is_refused() -> None:
    assert not verify_signature(SECRET, "yesterday", BODY, sign(SECRET, SENT, BODY), now=SENT)
