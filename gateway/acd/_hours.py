"""Business hours: is a queue open at an epoch instant, in the queue's own time zone."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from .specs import BusinessHours

__all__ = ["is_open", "zone"]


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_open(hours: BusinessHours, now: float) -> bool:
    local = datetime.fromtimestamp(now, zone(hours.timezone))
    if local.date().isoformat() in hours.closed_dates:
        return False
    minute = local.hour * 60 + local.minute
    return any(
        w.weekday == local.weekday() and w.start_minute <= minute < w.end_minute for w in hours.windows
    )
