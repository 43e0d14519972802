"""Routing benchmark: decisions per second and per-decision latency for a synthetic contact center.

Latencies are wall-clock (`decisions_per_second`, `p50_us`...) and, since other processes may share the
cores, also the CPU time of the benchmarking thread (`decisions_per_cpu_second`, `cpu_*_us`).

A decision is one routing call that has to match: an agent freeing capacity (end of an interaction) and
being offered the best waiting one, or an interaction arriving. The population: `agents` agents with 3-5
of `skills` skills, one queue per skill (mixed strategies, voice and chat), `waiting` interactions queued.
The router is the gateway's (same retention of ended interactions, same in-memory log tail), and it is
measured in steady state, after `--warm-up` decisions.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from gateway.acd import (
    JSON,
    AgentSpec,
    Channel,
    Event,
    EventType,
    NewInteraction,
    Presence,
    QueueSpec,
    Router,
    SkillRequirement,
    Strategy,
)

__all__ = ["main", "run"]

T0 = 1_700_000_000.0
# decisions made before measuring: half of them end an interaction, which fills the router's retention of
# ended interactions (10,000 by default), so the measured ones run in steady state, forgetting one per end
WARM_UP = 20_000


@dataclass(slots=True)
class _Population:
    router: Router
    queues: list[QueueSpec]
    assigned: list[str] = field(default_factory=list)
    next_id: int = 0


def _build(agents: int, skills: int, rng: random.Random) -> _Population:
    strategies = list(Strategy)
    queues = [
        QueueSpec(
            id=f"q{k}",
            name=f"Queue {k}",
            channel=Channel.CHAT if k % 5 == 4 else Channel.VOICE,
            strategy=strategies[k % len(strategies)],
            skills=(SkillRequirement(f"s{k}", rng.randint(1, 3)),),
            priority_aging_seconds=60.0 if k % 2 else None,
            offer_timeout_seconds=30.0,
        )
        for k in range(skills)
    ]
    specs = [
        AgentSpec(
            id=f"a{n}",
            name=f"Agent {n}",
            skills=tuple(
                (f"s{k}", rng.randint(3, 10))
                for k in rng.sample(range(skills), min(skills, rng.randint(3, 5)))
            ),
        )
        for n in range(agents)
    ]
    return _Population(Router(queues=queues, agents=specs), queues)  # the gateway's retention and log tail


def _arrival(pop: _Population, rng: random.Random, now: float) -> list[str]:
    q = rng.choice(pop.queues)
    iid = f"i{pop.next_id}"
    pop.next_id += 1
    events = pop.router.enqueue(
        NewInteraction(id=iid, queue=q.id, channel=q.channel, priority=rng.randint(0, 2)), now
    )
    return _accept_offers(pop, events, now)


def _accept_offers(pop: _Population, events: Sequence[Event], now: float) -> list[str]:
    accepted = []
    for ev in events:
        if ev.type is EventType.OFFERED and ev.interaction_id is not None and ev.agent_id is not None:
            pop.router.accept(ev.interaction_id, ev.agent_id, now)
            pop.assigned.append(ev.interaction_id)
            accepted.append(ev.interaction_id)
    return accepted


def _fill(pop: _Population, waiting: int, agents: int, rng: random.Random) -> float:
    """Queue the backlog while everyone is offline, then sign everyone in: they fill up, the rest waits."""
    now = T0
    extra = agents * 2  # roughly what signing in takes off the queues
    for _ in range(waiting + extra):
        _arrival(pop, rng, now)
    for spec in pop.router.agents:
        now += 0.001
        _accept_offers(pop, pop.router.set_presence(spec.id, Presence.available(), now), now)
    return now


def _decide(pop: _Population, rng: random.Random, now: float, *, arrival: bool) -> float:
    if arrival or not pop.assigned:
        _arrival(pop, rng, now)
    else:
        _accept_offers(pop, pop.router.end(_take_assigned(pop, rng), now), now)
    return now


def _take_assigned(pop: _Population, rng: random.Random) -> str:
    pos = rng.randrange(len(pop.assigned))
    pop.assigned[pos], pop.assigned[-1] = pop.assigned[-1], pop.assigned[pos]
    return pop.assigned.pop()


def run(
    agents: int, skills: int, waiting: int, decisions: int = 20_000, seed: int = 1, warm_up: int = WARM_UP
) -> dict[str, JSON]:
    rng = random.Random(seed)
    started = time.perf_counter()
    pop = _build(agents, skills, rng)
    now = _fill(pop, waiting, agents, rng)
    for _ in range(warm_up):  # until the router forgets an ended interaction for each one that ends
        now = _decide(pop, rng, now + 0.001, arrival=bool(rng.getrandbits(1)))
    setup = time.perf_counter() - started
    # the backlog is long-lived: keep the cyclic GC from rescanning it on every collection, as a
    # long-running gateway would after warm-up
    gc.collect()
    gc.freeze()
    latencies: dict[str, list[int]] = {"agent_free": [], "arrival": []}
    cpu: list[int] = []  # CPU time of this thread per decision: what "on one core" means on a busy machine
    wall, thread = time.perf_counter_ns, time.thread_time_ns
    matched = 0
    for n in range(decisions):
        now += 0.001
        if n % 2 == 0 and pop.assigned:
            iid = _take_assigned(pop, rng)
            begin, begin_cpu = wall(), thread()
            events = pop.router.end(iid, now)
            cpu.append(thread() - begin_cpu)
            latencies["agent_free"].append(wall() - begin)
        else:
            q = rng.choice(pop.queues)
            new = NewInteraction(
                id=f"i{pop.next_id}", queue=q.id, channel=q.channel, priority=rng.randint(0, 2)
            )
            pop.next_id += 1
            begin, begin_cpu = wall(), thread()
            events = pop.router.enqueue(new, now)
            cpu.append(thread() - begin_cpu)
            latencies["arrival"].append(wall() - begin)
        matched += len(_accept_offers(pop, events, now))
    gc.unfreeze()
    return _report(pop, agents, skills, waiting, latencies, cpu, setup, matched)


def _report(
    pop: _Population,
    agents: int,
    skills: int,
    waiting: int,
    latencies: dict[str, list[int]],
    cpu: list[int],
    setup: float,
    matched: int,
) -> dict[str, JSON]:
    every = sorted(latencies["agent_free"] + latencies["arrival"])
    cpu = sorted(cpu)
    still_waiting = sum(pop.router.queue_snapshot(q.id).waiting for q in pop.queues)
    return {
        "agents": agents,
        "skills": skills,
        "waiting_target": waiting,
        "waiting_at_end": still_waiting,
        "decisions": len(every),
        "setup_seconds": round(setup, 2),
        "decisions_per_second": round(len(every) / (sum(every) / 1e9)) if every else 0,
        "p50_us": _pct(every, 50),
        "p99_us": _pct(every, 99),
        "mean_us": round(statistics.fmean(every) / 1e3, 1),
        "agent_free_p50_us": _pct(sorted(latencies["agent_free"]), 50),
        "agent_free_p99_us": _pct(sorted(latencies["agent_free"]), 99),
        "arrival_p50_us": _pct(sorted(latencies["arrival"]), 50),
        "arrival_p99_us": _pct(sorted(latencies["arrival"]), 99),
        "decisions_per_cpu_second": round(len(cpu) / (sum(cpu) / 1e9)) if sum(cpu) else 0,
        "cpu_p50_us": _pct(cpu, 50),
        "cpu_p99_us": _pct(cpu, 99),
        "cpu_mean_us": round(statistics.fmean(cpu) / 1e3, 1) if cpu else 0.0,
        "offers_made": matched,
    }


def _pct(sorted_ns: list[int], pct: int) -> float:
    if not sorted_ns:
        return 0.0
    return round(sorted_ns[min(len(sorted_ns) - 1, len(sorted_ns) * pct // 100)] / 1e3, 1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="helpline bench routing", description=__doc__)
    parser.add_argument("--agents", type=int, default=1_000)
    parser.add_argument("--skills", type=int, default=100)
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--warm-up", type=int, default=WARM_UP, help="decisions made before measuring")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    result = run(args.agents, args.skills, args.waiting, args.decisions, args.seed, args.warm_up)
    if args.json:
        print(json.dumps(result))
    else:
        width = max(len(k) for k in result)
        for key, value in result.items():
            print(f"{key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
