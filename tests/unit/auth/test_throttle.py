"""Login throttling counted per user name and per address, on a hand-driven clock."""

from __future__ import annotations

import pytest

from gateway.auth import LoginLimits, LoginThrottle, LoginThrottled

from ...clock import Clock

LIMITS = LoginLimits(failures_per_user=3, failures_per_address=5, window_seconds=60, block_seconds=30)


def test_given_three_failures_for_a_user_when_checking_then_blocked_for_the_block_time() -> None:
    clock = Clock(1000.0)
    throttle = LoginThrottle(LIMITS, clock=clock)
    for _ in range(3):
        throttle.check("carol", "10.0.0.1")
        throttle.failed("carol", "10.0.0.1")
    clock.now += 10

    with pytest.raises(LoginThrottled) as blocked:
        throttle.check("carol", "10.0.0.2")
    assert (blocked.value.scope, blocked.value.retry_after) == ("user", 20)
    clock.now += 20
    throttle.check("carol", "10.0.0.2")


def test_given_failures_spread_wider_than_the_window_then_never_blocked() -> None:
    clock = Clock(1000.0)
    throttle = LoginThrottle(LIMITS, clock=clock)
    for _ in range(6):
        throttle.failed("carol", f"10.0.0.{int(clock.now)}")
        clock.now += 31  # at most two failures inside any 60 s window
        throttle.check("carol", "10.0.0.1")


def test_given_a_right_password_then_the_users_count_starts_again() -> None:
    throttle = LoginThrottle(LIMITS, clock=Clock(1000.0))
    throttle.failed("carol", "a")
    throttle.failed("carol", "b")
    throttle.succeeded("carol")
    throttle.failed("carol", "c")
    throttle.failed("carol", "d")

    throttle.check("carol", "e")


def test_given_many_users_from_one_address_then_the_address_is_blocked_for_any_user() -> None:
    throttle = LoginThrottle(LIMITS, clock=Clock(1000.0))
    for i in range(5):
        throttle.failed(f"user{i}", "10.0.0.9")

    with pytest.raises(LoginThrottled) as blocked:
        throttle.check("bob", "10.0.0.9")
    assert blocked.value.scope == "address"
    throttle.check("bob", "10.0.0.8")


def test_given_a_bad_limit_when_constructed_then_the_field_is_named() -> None:
    with pytest.raises(ValueError, match="block_seconds"):
        LoginLimits(block_seconds=0)
