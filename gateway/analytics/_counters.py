"""The additive figures the engine keeps per 15-minute bucket: anything longer (30/60 minutes, a day, a
week) is the sum of its buckets, so every period is computed the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import TypeVar

__all__ = ["BUCKET_SECONDS", "AgentCounters", "IvrCounters", "QueueCounters", "bucket_of", "spread", "summed"]

BUCKET_SECONDS = 900  # every time zone in use today is offset from UTC by a multiple of 15 minutes


def bucket_of(at: float) -> int:
    """The UTC epoch second at which `at`'s 15-minute bucket starts."""
    return int(at // BUCKET_SECONDS) * BUCKET_SECONDS


@dataclass(slots=True)
class QueueCounters:
    offered: int = 0  # entered the queue (first time, or after an overflow into it)
    answered: int = 0
    answered_in_threshold: int = 0
    abandoned: int = 0
    abandoned_short: int = 0  # waited less than the short-abandon cut-off
    abandoned_after_threshold: int = 0  # waited longer than the threshold
    abandoned_after_threshold_short: int = 0  # both (only when the cut-off exceeds the threshold)
    exited: int = 0  # voicemail, callback, disconnect at max wait or closed hours
    refused: int = 0  # the queue was full
    overflowed: int = 0  # left this queue for another by its overflow rules
    moved: int = 0  # a supervisor moved it to another queue
    missed_offers: int = 0  # offers that rang out unanswered
    transfers: int = 0  # answered work its agent transferred away
    answer_wait_total: float = 0.0
    longest_wait: float = 0.0  # the longest wait of those answered, abandoned or exited
    handled: int = 0  # work whose handling (talk, hold, wrap-up) is over
    talk_total: float = 0.0
    hold_total: float = 0.0
    wrap_total: float = 0.0

    def add(self, other: QueueCounters) -> None:
        _add(self, other)


@dataclass(slots=True)
class AgentCounters:
    offers: int = 0
    answered: int = 0
    missed: int = 0  # offers that rang out
    rejected: int = 0
    transfers: int = 0
    handled: int = 0
    talk_total: float = 0.0
    hold_total: float = 0.0
    wrap_total: float = 0.0
    busy_seconds: float = 0.0  # holding at least one interaction
    wrap_up_seconds: float = 0.0  # in wrap-up with no interaction
    idle_seconds: float = 0.0  # available with no interaction and no offer ringing
    ringing_seconds: float = 0.0  # available with an offer ringing and no interaction
    presence_seconds: dict[str, float] = field(default_factory=dict)  # by presence kind
    not_ready_seconds: dict[str, float] = field(default_factory=dict)  # by reason

    def add(self, other: AgentCounters) -> None:
        _add(self, other)

    def copy(self) -> AgentCounters:
        """A copy to add to (spelt out: it runs for every agent of every console delta)."""
        return AgentCounters(
            self.offers,
            self.answered,
            self.missed,
            self.rejected,
            self.transfers,
            self.handled,
            self.talk_total,
            self.hold_total,
            self.wrap_total,
            self.busy_seconds,
            self.wrap_up_seconds,
            self.idle_seconds,
            self.ringing_seconds,
            dict(self.presence_seconds),
            dict(self.not_ready_seconds),
        )


@dataclass(slots=True)
class IvrCounters:
    reached: int = 0  # a node: times a caller reached it; the whole IVR: calls that entered it
    options: dict[str, float] = field(default_factory=dict)  # menu option -> times chosen
    by_speech: int = 0  # options chosen by voice rather than by keypad
    no_input: int = 0
    invalid_input: int = 0
    hung_up: int = 0  # the caller hung up while in the IVR (at this node)
    queued: dict[str, float] = field(default_factory=dict)  # queue -> callers who left the IVR for it
    ended: dict[str, float] = field(default_factory=dict)  # transferred / voicemail / hangup (by the flow)

    def add(self, other: IvrCounters) -> None:
        for name in ("reached", "by_speech", "no_input", "invalid_input", "hung_up"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("options", "queued", "ended"):
            mine, theirs = getattr(self, name), getattr(other, name)
            for key, value in theirs.items():
                mine[key] = mine.get(key, 0) + value


def _add(into: QueueCounters | AgentCounters, other: QueueCounters | AgentCounters) -> None:
    for f in fields(into):
        mine, theirs = getattr(into, f.name), getattr(other, f.name)
        if isinstance(mine, dict):
            for key, value in theirs.items():
                mine[key] = mine.get(key, 0.0) + value
        elif f.name == "longest_wait":
            setattr(into, f.name, max(mine, theirs))
        else:
            setattr(into, f.name, mine + theirs)


def spread(start: float, end: float, add: Callable[[int, float], None]) -> None:
    """Call `add(bucket, seconds)` for each 15-minute bucket the span [start, end) covers."""
    at = start
    while at < end:
        bucket = bucket_of(at)
        upto = min(end, bucket + BUCKET_SECONDS)
        add(bucket, upto - at)
        at = upto


C = TypeVar("C", QueueCounters, AgentCounters, IvrCounters)


def summed(empty: C, parts: Iterable[C]) -> C:
    for part in parts:
        empty.add(part)
    return empty
