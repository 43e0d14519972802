"""Metrics benchmark: the CPU the metrics engine spends per routing event, beside the routing core's own.

The population is the routing benchmark's (`agents` agents, one queue per skill, `waiting` interactions
queued). Every routing call of the measured run (an arrival, or an agent ending work, and the accepts of
the offers they make) is timed on this thread's CPU clock; its events are then folded as the server folds
them: into the engine (`apply`), and, as when a supervisor's console listens, the figures of the queues
and agents the engine says changed (`changes()`), read once per `--coalesce` seconds of virtual time.
Reported per event and per decision, with the ratio the issue sets a goal for (metrics <= 20% of the
routing cost). Each timed span is corrected by the cost of the clock read that ends it (measured at start,
reported).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from collections.abc import Callable, Sequence

from gateway.acd import JSON, Channel, Event, EventType, NewInteraction, Presence, Router
from gateway.analytics import MetricsEngine, QueueMetricsSpec, Snapshot, StatsFeed

from .routing import T0, _build

__all__ = ["main", "run"]


def _clock_cost_ns(samples: int = 2_001) -> int:
    """What one read of the CPU clock adds to a span it ends (the median of back-to-back reads). On a VM
    the thread clock is a system call (about 3 us here), as much as a small routing call: each span is
    corrected by it, or the shortest spans (the engine's fold) would count it as their own cost."""
    clock = time.thread_time_ns
    spans = []
    for _ in range(samples):
        begin = clock()
        spans.append(clock() - begin)
    return sorted(spans)[samples // 2]


class _Run:
    def __init__(self, router: Router, feed: StatsFeed, rng: random.Random) -> None:
        self.router, self.feed, self.rng = router, feed, rng
        self.clock_ns = _clock_cost_ns()
        self.assigned: list[str] = []
        self.next_id = 0
        self.routing_ns = self.metrics_ns = self.events = self.decisions = self.deltas = 0
        self.measuring = False

    def call(self, command: Callable[..., list[Event]], *args: object) -> list[Event]:
        clock = time.thread_time_ns
        begin = clock()
        events = command(*args)
        middle = clock()
        self.feed.fold(events)
        end = clock()
        if self.measuring:
            self.routing_ns += middle - begin - self.clock_ns
            self.metrics_ns += end - middle - self.clock_ns
            self.events += len(events)
        for ev in events:
            if ev.type is EventType.OFFERED and ev.interaction_id is not None and ev.agent_id is not None:
                self.call(self.router.accept, ev.interaction_id, ev.agent_id, ev.at)
                self.assigned.append(ev.interaction_id)
        return events

    def decide(self, now: float, queues: Sequence[str], channels: dict[str, Channel]) -> None:
        self.decisions += self.measuring
        if self.assigned and self.rng.getrandbits(1):
            pos = self.rng.randrange(len(self.assigned))
            self.assigned[pos], self.assigned[-1] = self.assigned[-1], self.assigned[pos]
            iid = self.assigned.pop()
            hold = self.rng.choice((0.0, 12.0))
            self.call(lambda: self.router.end(iid, now, hold_seconds=hold))
            return
        q = self.rng.choice(queues)
        new = NewInteraction(
            id=f"i{self.next_id}",
            queue=q,
            channel=channels[q],
            priority=self.rng.randint(0, 2),
        )
        self.next_id += 1
        self.call(self.router.enqueue, new, now)


def _delta(engine: MetricsEngine, now: float) -> Snapshot | None:
    """What a console is sent after a window: the figures of what changed (None when nothing did)."""
    changed = engine.changes()
    if not changed:
        return None
    return Snapshot(
        at=now,
        day_start=engine.today(now)[0],
        queues=tuple(engine.queue(q, now) for q in sorted(changed.queues | changed.states)),
        agents=tuple(engine.agent(a, now) for a in sorted(changed.agents)),
    )


def run(
    agents: int,
    queues: int,
    waiting: int,
    decisions: int = 20_000,
    seed: int = 1,
    *,
    console: bool = True,
    decisions_per_second: float = 100.0,
    coalesce: float = 0.25,
) -> dict[str, JSON]:
    rng = random.Random(seed)
    pop = _build(agents, queues, rng)
    router = pop.router
    levels = {a.id: dict(a.skills) for a in router.agents}
    specs = [
        QueueMetricsSpec(
            q.id,
            channel=str(q.channel),
            agents=frozenset(
                a for a, have in levels.items() if all(have.get(r.skill, 0) >= r.min_level for r in q.skills)
            ),
        )
        for q in pop.queues
    ]
    feed = StatsFeed(MetricsEngine(specs, list(levels)), clock=lambda: now)
    bench = _Run(router, feed, rng)
    queue_ids = [q.id for q in pop.queues]
    channels: dict[str, Channel] = {q.id: q.channel for q in pop.queues}
    now = T0
    for _ in range(waiting + 2 * agents):  # the backlog, queued while everyone is offline
        bench.decide(now, queue_ids, channels)
        bench.assigned.clear()
    for agent_id in levels:
        now += 0.001
        bench.call(router.set_presence, agent_id, Presence.available(), now)
    gc.collect()
    gc.freeze()
    bench.measuring = True
    step, flushed = 1 / decisions_per_second, now
    for _ in range(decisions):
        now += step
        bench.decide(now, queue_ids, channels)
        if now - flushed >= coalesce:  # the server's coalesced delta, in virtual time
            flushed = now
            begin = time.thread_time_ns()
            sent = _delta(feed.engine, now) if console else None
            bench.metrics_ns += time.thread_time_ns() - begin - bench.clock_ns
            bench.deltas += sent is not None
    gc.unfreeze()
    per_event = bench.metrics_ns / bench.events / 1e3 if bench.events else 0.0
    routing_per_event = bench.routing_ns / bench.events / 1e3 if bench.events else 0.0
    return {
        "agents": agents,
        "queues": len(queue_ids),
        "waiting_target": waiting,
        "decisions": bench.decisions,
        "events": bench.events,
        "console_listening": console,
        "decisions_per_second": decisions_per_second,
        "deltas_sent": bench.deltas,
        "routing_cpu_us_per_event": round(routing_per_event, 2),
        "metrics_cpu_us_per_event": round(per_event, 2),
        "routing_cpu_us_per_decision": round(bench.routing_ns / bench.decisions / 1e3, 2),
        "metrics_cpu_us_per_decision": round(bench.metrics_ns / bench.decisions / 1e3, 2),
        "metrics_over_routing_percent": round(100 * bench.metrics_ns / bench.routing_ns, 1),
        "clock_read_us_subtracted_per_span": round(bench.clock_ns / 1e3, 2),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="helpline bench metrics", description=__doc__)
    parser.add_argument("--agents", type=int, default=1_000)
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--waiting", type=int, default=2_000)
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-console", action="store_true", help="fold only: no console listens for deltas")
    parser.add_argument(
        "--decisions-per-second", type=float, default=100.0, help="virtual rate: how many deltas coalesce"
    )
    parser.add_argument("--coalesce", type=float, default=0.25, help="seconds between deltas (the server's)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    result = run(
        args.agents,
        args.queues,
        args.waiting,
        args.decisions,
        args.seed,
        console=not args.no_console,
        decisions_per_second=args.decisions_per_second,
        coalesce=args.coalesce,
    )
    if args.json:
        print(json.dumps(result))
    else:
        width = max(len(k) for k in result)
        for key, value in result.items():
            print(f"{key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
