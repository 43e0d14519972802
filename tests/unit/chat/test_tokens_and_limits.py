"""Visitor tokens resume only the conversation they were issued for, until they expire; the rate limiter
refills at the configured pace."""

from __future__ import annotations

import pytest

from gateway.chat import VisitorTokens
from gateway.chat._limits import RateLimiter
from gateway.chat.errors import BadVisitorToken

from ...clock import Clock

SECRET = b"s" * 48


def test_given_issued_token_when_verified_then_it_names_its_conversation() -> None:
    tokens = VisitorTokens(secret=SECRET, ttl_seconds=60)
    assert tokens.verify(tokens.issue("abc123")) == "abc123"


def test_given_expired_token_when_verified_then_refused() -> None:
    clock = Clock(1_000_000.0)
    tokens = VisitorTokens(secret=SECRET, ttl_seconds=60, clock=clock)
    token = tokens.issue("abc")
    clock.now += 61
    with pytest.raises(BadVisitorToken, match="expired"):
        tokens.verify(token)


@pytest.mark.parametrize("token", ["", "x", "a.b.c", None, 42, "eyJjIjoiYWJjIn0.sig", "é.é"])
def test_given_malformed_or_forged_token_when_verified_then_refused(token: object) -> None:
    with pytest.raises(BadVisitorToken):
        VisitorTokens(secret=SECRET, ttl_seconds=60).verify(token)


def test_given_token_from_another_secret_when_verified_then_refused() -> None:
    other = VisitorTokens(secret=b"o" * 48, ttl_seconds=60).issue("abc")
    with pytest.raises(BadVisitorToken, match="signature"):
        VisitorTokens(secret=SECRET, ttl_seconds=60).verify(other)


def test_given_token_with_a_changed_conversation_when_verified_then_refused() -> None:
    tokens = VisitorTokens(secret=SECRET, ttl_seconds=60)
    body, signature = tokens.issue("abc").split(".")
    forged_body = tokens.issue("xyz").split(".")[0]
    with pytest.raises(BadVisitorToken):
        tokens.verify(f"{forged_body}.{signature}")
    assert body != forged_body


def test_given_burst_when_limit_reached_then_refused_until_refilled() -> None:
    clock = Clock(1_000_000.0)
    limiter = RateLimiter(messages=3, per_seconds=3.0, clock=clock)
    assert [limiter.allow("v") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("other"), "each visitor has their own bucket"
    clock.now += 1.0
    assert limiter.allow("v") and not limiter.allow("v")
