"""The wallboard's model: every queue's and agent's figures as JSON for the console, the whole board on
connect and, after each batch of routing events, only the queues and agents the batch touched."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from gateway.acd import AgentView, Event, EventType, InteractionView, QueueSnapshot
from gateway.config import Config, QueueConfig, UserConfig

__all__ = ["Board", "BoardSource", "QueueTotals"]

_STATES = ("available", "not_ready", "wrap_up", "offline")
_BUSY = "busy"  # available, but with work offered or assigned


class QueueTotals(Protocol):
    """Running totals of one queue (counts and seconds)."""

    entered: int
    answered: int
    answered_within_threshold: int
    abandoned: int
    answer_wait_total: float
    handle_total: float
    handled: int


class BoardSource(Protocol):
    """What the board reads: the routing server's views (`AcdServer`)."""

    def agent(self, agent_id: str) -> AgentView: ...

    def interaction(self, interaction_id: str) -> InteractionView | None: ...

    def waiting(self, queue_id: str) -> list[InteractionView]: ...

    def presence_since(self, agent_id: str) -> float: ...

    def queue_snapshot(self, queue_id: str) -> QueueSnapshot: ...

    def queue_totals(self, queue_id: str) -> QueueTotals: ...


def _serves(user: UserConfig, queue: QueueConfig) -> bool:
    if queue.members:
        return any(m.agent == user.id for m in queue.members)
    return all(user.skills.get(r.skill, 0) >= r.min_level for r in queue.skills)


def _ratio(part: float, whole: float, scale: float = 1.0) -> float | None:
    return scale * part / whole if whole else None


class Board:
    def __init__(self, source: BoardSource, config: Config) -> None:
        self._source = source
        self._config = config
        self._queues = {q.id: q for q in config.queues}
        self._agents = {u.id: u for u in config.agents}
        self._staff = {q.id: [u.id for u in config.agents if _serves(u, q)] for q in config.queues}
        self._queues_of = {a: [q for q, ids in self._staff.items() if a in ids] for a in self._agents}

    def snapshot(self) -> dict[str, Any]:
        """The whole board, sent when a console connects."""
        thresholds = self._config.wallboard.thresholds.model_dump()
        skills = sorted({s for u in self._agents.values() for s in u.skills})
        return {
            "at": time.time(),
            "thresholds": thresholds,
            "skills": skills,
            "queues": [self.queue(q) for q in self._queues],
            "agents": [self.agent(a) for a in self._agents],
        }

    def changes(self, events: Sequence[Event]) -> dict[str, Any] | None:
        """The queues and agents `events` touched, refreshed; None when they touched none."""
        queues, agents = self._touched(events)
        if not queues and not agents:
            return None
        return {
            "at": time.time(),
            "seq": events[-1].seq,
            "queues": [self.queue(q) for q in sorted(queues)],
            "agents": [self.agent(a) for a in sorted(agents)],
        }

    def _touched(self, events: Iterable[Event]) -> tuple[set[str], set[str]]:
        queues: set[str] = set()
        agents: set[str] = set()
        for event in events:
            if event.agent_id in self._agents:
                agents.add(event.agent_id)
                queues.update(self._queues_of[event.agent_id])  # agents by state
            for key in ("queue", "from", "to"):
                named = event.data.get(key)
                if isinstance(named, str) and named in self._queues:
                    queues.add(named)
            if event.interaction_id is not None and event.type is not EventType.SUPERVISOR_ACTION:
                view = self._source.interaction(event.interaction_id)
                if view is not None and view.queue in self._queues:
                    queues.add(view.queue)
        return queues, agents

    def queue(self, queue_id: str) -> dict[str, Any]:
        config = self._queues[queue_id]
        snap, totals = self._source.queue_snapshot(queue_id), self._source.queue_totals(queue_id)
        settled = totals.answered + totals.abandoned
        return {
            "id": queue_id,
            "name": config.name,
            "channel": str(config.channel),
            "skills": [r.skill for r in config.skills],
            "waiting": snap.waiting,
            "oldest_enqueue_time": snap.oldest_enqueue_time,
            "agents": self._agents_by_state(queue_id),
            "offered": totals.entered,
            "answered": totals.answered,
            "abandoned": totals.abandoned,
            "service_level_percent": _ratio(totals.answered_within_threshold, settled, 100.0),
            "service_level_target_percent": config.service_level.target_percent,
            "service_level_threshold_seconds": config.service_level.threshold_seconds,
            "asa_seconds": _ratio(totals.answer_wait_total, totals.answered),
            "aht_seconds": _ratio(totals.handle_total, totals.handled),
            "abandonment_percent": _ratio(totals.abandoned, settled, 100.0),
            "work": [self._work(v) for v in self._source.waiting(queue_id)],
            "intervals": [],
        }

    def _agents_by_state(self, queue_id: str) -> dict[str, int]:
        counts = dict.fromkeys((*_STATES, _BUSY), 0)
        for agent_id in self._staff[queue_id]:
            counts[self._state_of(self._source.agent(agent_id))] += 1
        return counts

    @staticmethod
    def _state_of(view: AgentView) -> str:
        kind = str(view.presence.kind)
        return _BUSY if kind == "available" and (view.offered or view.assigned) else kind

    def agent(self, agent_id: str) -> dict[str, Any]:
        user, view = self._agents[agent_id], self._source.agent(agent_id)
        work = (self._source.interaction(i) for i in (*view.offered, *view.assigned))
        return {
            "id": agent_id,
            "name": user.name,
            "skills": dict(user.skills),
            "queues": self._queues_of[agent_id],
            "state": str(view.presence.kind),
            "reason": view.presence.reason,
            "since": self._source.presence_since(agent_id),
            "work": [self._work(w) for w in work if w is not None],
            "handled_today": None,
            "aht_seconds": None,
            "occupancy_percent": None,
        }

    @staticmethod
    def _work(view: InteractionView) -> dict[str, Any]:
        return {
            "id": view.id,
            "queue": view.queue,
            "channel": str(view.channel),
            "state": str(view.state),
            "agent_id": view.agent_id,
            "enqueue_time": view.enqueue_time,
            "answered_at": view.answered_at,
        }
