"""The values the database layer stores and returns: events, interactions, presence spans, dead letters.

Timestamps must be timezone-aware; they come back from either backend in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["DeadLetter", "EventRecord", "InteractionRecord", "PresenceSpan", "RecordingRecord"]


def _require_aware(owner: str, name: str, value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{owner}: {name} must be timezone-aware, got {value.isoformat()}")


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One entry of the routing event log; `seq` is assigned by the routing core and starts at 1."""

    seq: int
    type: str
    at: datetime
    interaction_id: str | None = None
    agent_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.seq < 1:
            raise ValueError(f"event {self.type!r}: seq must be >= 1, got {self.seq}")
        _require_aware(f"event {self.seq}", "at", self.at)


@dataclass(frozen=True, slots=True)
class InteractionRecord:
    """A call or chat as it went through routing: where it waited, who answered, how it ended."""

    id: str
    channel: str
    queue_id: str
    created_at: datetime
    customer_ref: str | None = None
    priority: int = 0
    attributes: dict[str, Any] = field(default_factory=dict)
    queued_at: datetime | None = None
    offered_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: str | None = None
    agent_id: str | None = None
    wait_seconds: float | None = None

    def __post_init__(self) -> None:
        for name in ("created_at", "queued_at", "offered_at", "answered_at", "ended_at"):
            _require_aware(f"interaction {self.id!r}", name, getattr(self, name))
        if self.wait_seconds is not None and self.wait_seconds < 0:
            raise ValueError(f"interaction {self.id!r}: wait_seconds must be >= 0, got {self.wait_seconds}")


@dataclass(frozen=True, slots=True)
class PresenceSpan:
    """An agent's stay in one presence state from `at` until `ended_at` (None while it lasts)."""

    agent_id: str
    state: str
    reason: str | None
    at: datetime
    ended_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_aware(f"agent {self.agent_id!r}", "at", self.at)
        _require_aware(f"agent {self.agent_id!r}", "ended_at", self.ended_at)


@dataclass(frozen=True, slots=True)
class RecordingRecord:
    """A finished recording file: which interaction, what it holds, and how to check it is unaltered."""

    id: str
    interaction_id: str | None
    kind: str  # caller | agent | stereo | voicemail
    path: str
    started_at: datetime
    duration_seconds: float
    size_bytes: int
    sha256: str
    caller: str | None = None
    purged_at: datetime | None = None  # the file is gone: its queue's retention period had passed

    def __post_init__(self) -> None:
        _require_aware(f"recording {self.id!r}", "started_at", self.started_at)
        _require_aware(f"recording {self.id!r}", "purged_at", self.purged_at)
        if self.duration_seconds < 0 or self.size_bytes < 0:
            raise ValueError(f"recording {self.id!r}: duration and size must be >= 0")


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A write the database refused for its data (not for being down), kept with the error, not retried.

    `kind` says what it was (event, interaction, presence), `ref` which one (a seq, an interaction or agent
    id), `payload` the refused values as JSON text.
    """

    kind: str
    ref: str
    payload: str
    error: str
    at: datetime

    def __post_init__(self) -> None:
        _require_aware(f"dead letter {self.kind} {self.ref!r}", "at", self.at)
