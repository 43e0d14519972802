"""The JSON shapes of the statistics REST API (documented in OpenAPI); built from the engine's figures."""

from __future__ import annotations

from pydantic import BaseModel

__all__ = [
    "AgentStatsList",
    "AgentStatsOut",
    "IntervalList",
    "IvrNodeOut",
    "IvrReport",
    "IvrTotalsOut",
    "QueueStatsList",
    "QueueStatsOut",
]


class QueueStatsOut(BaseModel):
    queue: str
    name: str
    start: float
    end: float
    offered: int
    answered: int
    answered_in_threshold: int
    abandoned: int
    abandoned_short: int
    exited: int
    refused: int
    overflowed: int
    moved: int
    missed_offers: int
    transfers: int
    handled: int
    service_level_percent: float | None
    service_level_met: bool | None
    service_level_target_percent: float
    service_level_threshold_seconds: float
    service_level_definition: str
    asa_seconds: float | None
    aht_seconds: float | None
    abandonment_percent: float | None
    longest_wait_seconds: float
    waiting: int | None = None
    oldest_wait_seconds: float | None = None
    agents_by_state: dict[str, int] | None = None


class AgentStatsOut(BaseModel):
    agent: str
    name: str
    start: float
    end: float
    offers: int
    answered: int
    missed: int
    rejected: int
    transfers: int
    handled: int
    aht_seconds: float | None
    occupancy_percent: float | None
    busy_seconds: float
    wrap_up_seconds: float
    idle_seconds: float
    ringing_seconds: float
    presence_seconds: dict[str, float]
    not_ready_seconds: dict[str, float]
    state: str | None = None
    presence: str | None = None
    presence_reason: str | None = None
    since: float | None = None
    work: list[str] | None = None


class QueueStatsList(BaseModel):
    at: float
    timezone: str
    items: list[QueueStatsOut]


class AgentStatsList(BaseModel):
    at: float
    timezone: str
    items: list[AgentStatsOut]


class IntervalList(BaseModel):
    scope: str
    size: str
    timezone: str
    start: float
    end: float
    queues: list[QueueStatsOut] = []  # scope queue or channel (a channel's figures use the `queue` field)
    agents: list[AgentStatsOut] = []


class IvrNodeOut(BaseModel):
    node: str  # `flow.label`, or `flow[i]` for a step without an id
    verb: str
    start: float
    end: float
    reached: int
    options: dict[str, int]  # menu option -> times chosen
    by_speech: int
    no_input: int
    invalid_input: int
    hung_up: int  # callers who hung up at this step
    queued: dict[str, int]  # queue -> callers who left the IVR for it here
    ended: dict[str, int]  # transferred / voicemail / hangup (the flow hung up)


class IvrTotalsOut(BaseModel):
    start: float
    end: float
    calls: int
    hung_up: int
    queued: dict[str, int]
    ended: dict[str, int]


class IvrReport(BaseModel):
    size: str
    timezone: str
    start: float
    end: float
    totals: list[IvrTotalsOut]
    nodes: list[IvrNodeOut]
