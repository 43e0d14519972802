"""Entitlement checks: dates are inclusive and read in UTC, products narrow the cover, the best level wins."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from cti_adapter import Entitlement
from cti_adapter._contract import best_entitlement

LEVELS = ("premium", "standard", "basic")
PREMIUM_2024 = Entitlement(
    "e1", "acc", "premium", starts=date(2024, 1, 1), ends=date(2024, 12, 31), products=("Router", "Fibre")
)
STANDARD_OPEN = Entitlement("e2", "acc", "standard", starts=date(2023, 6, 1))


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.mark.parametrize(
    ("when", "covered"),
    [
        (at(date(2023, 12, 31), 23), False),
        (at(date(2024, 1, 1), 0), True),
        (at(date(2024, 12, 31), 23), True),
        (at(date(2025, 1, 1), 0), False),
    ],
)
def test_given_dated_entitlement_when_checked_at_the_edges_then_start_and_end_days_are_included(
    when: datetime, covered: bool
) -> None:
    assert PREMIUM_2024.covers(None, when) is covered


def test_given_a_local_time_when_checked_then_it_is_read_in_utc() -> None:
    paris = timezone(timedelta(hours=1))
    # 00:30 on 1 January in Paris is still 31 December in UTC: the 2024 contract has not started.
    assert PREMIUM_2024.covers(None, datetime(2024, 1, 1, 0, 30, tzinfo=paris)) is False


def test_given_product_list_when_product_is_checked_then_only_listed_products_are_covered_ignoring_case() -> (
    None
):
    noon = at(date(2024, 5, 1))
    assert PREMIUM_2024.covers("router", noon)
    assert not PREMIUM_2024.covers("TV", noon)
    assert STANDARD_OPEN.covers("TV", noon)  # no product list: every product


def test_given_a_naive_time_when_checked_then_value_error_names_the_entitlement() -> None:
    with pytest.raises(ValueError, match="'e1'"):
        PREMIUM_2024.covers(None, datetime(2024, 5, 1))


def test_given_premium_and_standard_when_both_cover_then_premium_is_chosen() -> None:
    assert (
        best_entitlement([STANDARD_OPEN, PREMIUM_2024], "fibre", at(date(2024, 5, 1)), LEVELS) == PREMIUM_2024
    )


def test_given_premium_expired_when_checked_then_standard_is_chosen() -> None:
    assert (
        best_entitlement([STANDARD_OPEN, PREMIUM_2024], None, at(date(2025, 2, 1)), LEVELS) == STANDARD_OPEN
    )


def test_given_only_uncovered_products_when_checked_then_nothing_is_chosen() -> None:
    assert best_entitlement([PREMIUM_2024], "TV", at(date(2024, 5, 1)), LEVELS) is None
