"""Periods in the configured time zone: "today", and 15/30/60-minute, day and week intervals, each made of
whole 15-minute buckets (see `_counters`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo

from .errors import BadPeriod

__all__ = ["MAX_RANGE_SECONDS", "Granularity", "Period", "day_of", "periods", "zone"]

from ._counters import BUCKET_SECONDS, bucket_of

MAX_RANGE_SECONDS = 366 * 86400


class Granularity(StrEnum):
    MIN15 = "15"
    MIN30 = "30"
    MIN60 = "60"
    DAY = "day"
    WEEK = "week"


Period = tuple[float, float]  # [start, end) in epoch seconds


def zone(name: str) -> tzinfo:
    """The time zone called `name`. UTC (the default) needs no file: the engine is often built on the event
    loop, where reading the zone database would block; other zones were read when the configuration was
    checked at start, and `ZoneInfo` keeps them cached."""
    return UTC if name == "UTC" else ZoneInfo(name)


def _local(at: float, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(at, tz)


def _start_of(at: float, size: Granularity, tz: tzinfo) -> float:
    local = _local(at, tz)
    if size is Granularity.DAY or size is Granularity.WEEK:
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if size is Granularity.WEEK:
            day -= timedelta(days=day.weekday())
        # the wall-clock midnight, re-resolved in the zone (a DST change may fall between it and `at`)
        return datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()
    minutes = int(size)
    offset = local.utcoffset() or timedelta()
    local_seconds = at + offset.total_seconds()
    return local_seconds - local_seconds % (minutes * 60) - offset.total_seconds()


def day_of(at: float, tz: tzinfo) -> Period:
    """The local day that contains `at`."""
    start = _start_of(at, Granularity.DAY, tz)
    return start, _next(start, Granularity.DAY, tz)


def _next(start: float, size: Granularity, tz: tzinfo) -> float:
    if size is Granularity.DAY or size is Granularity.WEEK:
        local = _local(start, tz)
        step = timedelta(days=7 if size is Granularity.WEEK else 1)
        following = (local.replace(tzinfo=None) + step).replace(tzinfo=tz)
        return following.timestamp()
    return start + int(size) * 60


def periods(start: float, end: float, size: Granularity, tz: tzinfo) -> Iterator[Period]:
    """The periods of `size` that cover [start, end), the first starting at or before `start`."""
    if end <= start:
        raise BadPeriod("end", "must be after start")
    if end - start > MAX_RANGE_SECONDS:
        raise BadPeriod("end", "a range covers at most 366 days")
    at = _start_of(float(bucket_of(start)), size, tz)
    while at < end:
        following = _next(at, size, tz)
        yield at, following
        at = following


def buckets(period: Period) -> range:
    return range(int(period[0]), int(period[1]), BUCKET_SECONDS)
