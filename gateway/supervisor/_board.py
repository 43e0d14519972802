"""The wallboard's model: every queue's and agent's figures for today, from the one metrics engine
(`gateway.analytics`), with what a supervisor acts on (the work waiting, each agent's work) from the routing
port; the whole board on connect and, after each batch of routing events, only what the batch touched."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from gateway.acd import WorkBrief
from gateway.analytics import Granularity, MetricsEngine, metrics_specs
from gateway.config import Config

__all__ = ["Board", "WorkSource"]

WORK_SHOWN = 20  # the oldest waiting work of a queue the console lists (its `waiting` counts them all)
_INTERVAL = Granularity.MIN15


class WorkSource(Protocol):
    """What the board reads of the routing server beside the figures: each agent's work, and what waits."""

    def agent_work(self, agent_id: str) -> list[WorkBrief]:
        """Offered, then assigned."""
        ...

    def waiting(self, queue_id: str, *, limit: int) -> list[WorkBrief]:
        """The `limit` oldest waiting or ringing, oldest first."""
        ...


def _interval(
    start: float, offered: int, service_level: float | None, longest_wait: float, waits_ended: int
) -> dict[str, Any]:
    """A point of the charts. A wait counts in the interval it ended in (answered, abandoned, exited), which
    may have had no arrival: its longest wait is blank only when no wait ended in it."""
    return {
        "start": start,
        "offered": offered,
        "service_level_percent": service_level,
        "longest_wait_seconds": longest_wait if waits_ended else None,
    }


def _work(brief: WorkBrief) -> dict[str, Any]:
    return {
        "id": brief.id,
        "queue": brief.queue,
        "channel": brief.channel.value,
        "state": brief.state.value,
        "agent_id": brief.agent_id,
        "enqueue_time": brief.enqueue_time,
        "answered_at": brief.answered_at,
    }


class Board:
    def __init__(
        self,
        routing: WorkSource,
        engine: MetricsEngine,
        config: Config,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._routing = routing
        self._engine = engine
        self._config = config
        self._queues = {q.id: q for q in config.queues}
        self._agents = {u.id: u for u in config.agents}
        # what each queue and agent is, that no event changes: a snapshot's, not a change's
        specs = {s.id: s for s in metrics_specs(config)}
        self._queue_static = {
            q.id: {
                "name": q.name,
                "channel": str(q.channel),
                "skills": [r.skill for r in q.skills],
                "service_level_target_percent": specs[q.id].service_level.target_percent,
                "service_level_threshold_seconds": specs[q.id].service_level.threshold_seconds,
                "service_level_definition": str(specs[q.id].service_level.definition),
            }
            for q in config.queues
        }
        self._agent_static = {
            a: {
                "name": u.name,
                "skills": dict(u.skills),
                "queues": [q for q in specs if a in specs[q].agents],
            }
            for a, u in self._agents.items()
        }

    def snapshot(self) -> dict[str, Any]:
        """The whole day so far, sent when a console connects."""
        now = self._clock()
        day_start = self._engine.today(now)[0]
        return {
            "at": now,
            "day_start": day_start,
            "thresholds": self._config.wallboard.thresholds.model_dump(),
            "skills": sorted({s for u in self._agents.values() for s in u.skills}),
            "queues": [self.queue(q, now, since=day_start) for q in self._queues],
            "agents": [self.agent(a, now) for a in self._agents],
        }

    def seconds_to_new_day(self) -> float:
        """How long until the configured time zone's next midnight, when every "today" figure restarts."""
        now = self._clock()
        return self._engine.today(now)[1] - now

    def changed(self) -> bool:
        """Whether routing events changed anything on the board since `changes` last read it."""
        return self._engine.changed()

    def changes(self, *, seq: int, event_at: float) -> dict[str, Any]:
        """What changed since the last call (as the metrics engine folded it), refreshed: queues whose
        figures or waiting work moved, intervals the current one only; a queue whose agents only changed
        state gets its agents-by-state alone; agents whose figures, state or work moved. Rows carry what
        can change (names, skills and service-level targets are the snapshot's). `event_at`: when the
        earliest event they follow happened."""
        now, changed = self._clock(), self._engine.changes()
        queues, agents = self._queues, self._agents
        return {
            "at": now,
            "seq": seq,
            "event_at": event_at,  # how late the board is, at worst
            "queues": [self._queue_live(q, now) for q in sorted(changed.queues) if q in queues]
            + [self._states(q) for q in sorted(changed.states) if q in queues],
            "agents": [self._agent_live(a, now) for a in sorted(changed.agents) if a in agents],
        }

    def clock_figures(self) -> dict[str, Any]:
        """What moves with the clock alone, with no event: each signed-in agent's occupancy (time in their
        state the console ticks itself; a queue's oldest wait it counts from `oldest_enqueue_time`)."""
        now, engine = self._clock(), self._engine
        return {
            "at": now,
            "agents": [
                {"id": a, "occupancy_percent": engine.agent_live(a, now).occupancy_percent}
                for a in self._agents
                if engine.agent_state(a) != "offline"
            ],
        }

    def _states(self, queue_id: str) -> dict[str, Any]:
        return {"id": queue_id, "agents": self._engine.agents_by_state(queue_id)}

    def queue(self, queue_id: str, now: float, *, since: float) -> dict[str, Any]:
        """Today's figures of a queue, with what it is and its intervals from `since` on."""
        row = self._queue_live(queue_id, now)
        intervals = self._engine.queue_intervals(queue_id, since, now + 1, _INTERVAL)
        row["intervals"] = [
            _interval(
                i.start,
                i.offered,
                i.service_level_percent,
                i.longest_wait_seconds,
                i.answered + i.abandoned + i.exited,
            )
            for i in intervals
        ]
        return self._queue_static[queue_id] | row

    def agent(self, agent_id: str, now: float) -> dict[str, Any]:
        """An agent's figures for today, with who they are."""
        return self._agent_static[agent_id] | self._agent_live(agent_id, now)

    def _queue_live(self, queue_id: str, now: float) -> dict[str, Any]:
        f = self._engine.queue_live(queue_id, now)
        oldest = f.oldest_wait_seconds
        return {
            "id": queue_id,
            "waiting": f.waiting,
            "oldest_enqueue_time": None if oldest is None else now - oldest,
            "agents": f.agents_by_state,
            "offered": f.offered,
            "answered": f.answered,
            "abandoned": f.abandoned,
            "service_level_percent": f.service_level_percent,
            "service_level_met": f.service_level_met,
            "asa_seconds": f.asa_seconds,
            "aht_seconds": f.aht_seconds,
            "abandonment_percent": f.abandonment_percent,
            "work": [_work(v) for v in self._routing.waiting(queue_id, limit=WORK_SHOWN)],
            "intervals": [
                _interval(
                    f.interval_start,
                    f.interval_offered,
                    f.interval_service_level_percent,
                    f.interval_longest_wait_seconds,
                    f.interval_waits_ended,
                )
            ],
        }

    def _agent_live(self, agent_id: str, now: float) -> dict[str, Any]:
        f = self._engine.agent_live(agent_id, now)
        return {
            "id": agent_id,
            "state": f.state,
            "reason": f.presence_reason,
            "since": f.since,
            "work": [_work(w) for w in self._routing.agent_work(agent_id)],
            "handled_today": f.handled,
            "aht_seconds": f.aht_seconds,
            "occupancy_percent": f.occupancy_percent,
        }
