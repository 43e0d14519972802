"""`helpline simulate`: what-if runs of the real routing core in virtual time, and the staffing they need."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from gateway.acd import QueueSpec

from ._progress import ProgressBar
from ._simulator import IntervalFigures, Simulation, SimulationResult
from ._staffing import StaffingAnswer, staffing_for
from ._workload import Arrival, QueueLoad, Staffing, Team, log_arrivals, poisson_arrivals

__all__ = ["main"]

# A Monday morning: a fixed default keeps runs reproducible and inside most business hours.
DEFAULT_START = "2026-01-05T09:00:00+00:00"


class UsageError(ValueError):
    """A command-line value that cannot be used; the message names the option."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="helpline simulate",
        description="Drive the routing core in virtual time with random (or logged) calls and report "
        "SL, ASA, abandonment and occupancy per interval, plus the agents each queue needs for its SL "
        "target. Agents are synthetic, with every skill their queues require at level 10.",
    )
    p.add_argument("--config", required=True, type=Path, help="the gateway's YAML configuration file")
    p.add_argument(
        "--arrivals",
        action="append",
        default=[],
        metavar="QUEUE=CALLS_PER_HOUR",
        help="Poisson arrivals for a queue (repeatable); with --from-log, only picks which queues to keep",
    )
    p.add_argument(
        "--handle-time",
        action="append",
        default=[],
        metavar="[QUEUE=]SECONDS",
        help="mean of the exponential handle time, for every queue or one queue (repeatable)",
    )
    p.add_argument(
        "--patience",
        action="append",
        default=[],
        metavar="[QUEUE=]SECONDS",
        help="mean time callers wait before hanging up (exponential); default: they never hang up",
    )
    p.add_argument(
        "--agents",
        action="append",
        default=[],
        metavar="N|QUEUE=N",
        help="N agents serving every simulated queue, or N dedicated to one queue (repeatable)",
    )
    p.add_argument(
        "--hours", type=float, help="length of the simulated period (default 8, or 24 with --from-log)"
    )
    p.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same report")
    p.add_argument("--interval", type=int, default=30, choices=[15, 30, 60], help="report interval, minutes")
    p.add_argument("--start", default=None, help=f"ISO start of the period (default {DEFAULT_START})")
    p.add_argument(
        "--from-log",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="replay the calls of this UTC day from the stored event log (times, queues, handle times)",
    )
    p.add_argument("--database-url", help="database holding the event log (default: the config's)")
    p.add_argument("--no-staffing", action="store_true", help="skip the search for the agents needed")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    return p


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    try:
        return _run(args)
    except UsageError as exc:
        print(f"helpline simulate: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    queues = _queues(args.config)
    hours = args.hours if args.hours is not None else (24.0 if args.from_log else 8.0)
    if hours <= 0:
        raise UsageError("--hours must be > 0")
    start = _start(args)
    loads = _loads(args, queues)
    arrivals = _arrivals(args, loads, queues, start, hours)
    team = _team(queues, _staffing(args.agents, [q.id for q in queues]))
    bar = ProgressBar("simulating")
    result = Simulation(
        team=team,
        arrivals=arrivals,
        start=start.timestamp(),
        hours=hours,
        interval_seconds=args.interval * 60.0,
        progress=bar,
    ).run()
    bar(1.0)
    bar.close()
    served = sorted({a.queue for a in arrivals} | {load.queue for load in loads.values()})
    staffing = [] if args.no_staffing else _staff(queues, served, arrivals, start, hours, args.interval)
    if args.json:
        print(json.dumps(_report(result, staffing, served, args.seed), indent=2, ensure_ascii=False))
    else:
        print(_text(result, staffing, served, args.seed))
    return 0


# -- reading the options ----------------------------------------------------------------------------------


def _queues(path: Path) -> list[QueueSpec]:
    from gateway.config import ConfigError, load_config, queue_specs

    try:
        return queue_specs(load_config(path))
    except ConfigError as exc:
        raise UsageError(f"--config {path}: {exc}") from None
    except OSError as exc:
        raise UsageError(f"--config {path}: {exc.strerror}") from None


def _start(args: argparse.Namespace) -> datetime:
    if args.from_log is not None:
        return datetime.combine(args.from_log, datetime.min.time(), tzinfo=UTC)
    try:
        start = datetime.fromisoformat(args.start or DEFAULT_START)
    except ValueError:
        raise UsageError(f"--start {args.start!r} is not an ISO date-time") from None
    return start if start.tzinfo is not None else start.replace(tzinfo=UTC)


def _pairs(values: Sequence[str], option: str, queue_ids: Sequence[str]) -> dict[str | None, float]:
    """`QUEUE=NUMBER` or a bare `NUMBER` (key None: every queue)."""
    out: dict[str | None, float] = {}
    for raw in values:
        queue, sep, number = raw.rpartition("=")
        key = queue if sep else None
        if key is not None and key not in queue_ids:
            raise UsageError(f"{option} {raw!r}: unknown queue {key!r} (known: {', '.join(queue_ids)})")
        try:
            out[key] = float(number.removesuffix("/h"))
        except ValueError:
            raise UsageError(f"{option} {raw!r}: {number!r} is not a number") from None
        if out[key] < 0:
            raise UsageError(f"{option} {raw!r}: must be >= 0")
    return out


def _loads(args: argparse.Namespace, queues: Sequence[QueueSpec]) -> dict[str, QueueLoad]:
    ids = [q.id for q in queues]
    rates = _pairs(args.arrivals, "--arrivals", ids)
    if None in rates:
        if len(ids) != 1:
            raise UsageError("--arrivals: name the queue (QUEUE=CALLS_PER_HOUR) when the config has several")
        rates = {ids[0]: rates[None]}
    if not rates and args.from_log is None:
        raise UsageError("--arrivals: give at least one QUEUE=CALLS_PER_HOUR (or --from-log DAY)")
    handle = _pairs(args.handle_time, "--handle-time", ids)
    patience = _pairs(args.patience, "--patience", ids)
    loads = {}
    for queue in rates or dict.fromkeys(ids, 0.0):
        mean = handle.get(queue, handle.get(None))
        if mean is None:
            raise UsageError(f"--handle-time: no handle time for queue {queue!r}")
        wait = patience.get(queue, patience.get(None))
        try:
            loads[queue] = QueueLoad(queue, rates.get(queue, 0.0), mean, wait)  # type: ignore[arg-type]
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    return loads  # type: ignore[return-value]


def _arrivals(
    args: argparse.Namespace,
    loads: dict[str, QueueLoad],
    queues: Sequence[QueueSpec],
    start: datetime,
    hours: float,
) -> list[Arrival]:
    if args.from_log is None:
        return poisson_arrivals(list(loads.values()), hours, args.seed)
    records = asyncio.run(_read_log(_database_url(args), start, hours))
    arrivals = log_arrivals(records, start, hours, loads, args.seed)
    keep = {q.id for q in queues} if not args.arrivals else set(loads)
    arrivals = [a for a in arrivals if a.queue in keep]
    if not arrivals:
        raise UsageError(f"--from-log {args.from_log}: the event log has no calls that day")
    return arrivals


def _database_url(args: argparse.Namespace) -> str:
    from gateway.config import load_config

    server = load_config(args.config).server
    data_dir = Path(server.data_dir or "data").resolve()
    return str(args.database_url or server.database_url or f"sqlite+aiosqlite:///{data_dir / 'helpline.db'}")


async def _read_log(
    url: str, start: datetime, hours: float
) -> list[tuple[str, datetime, str | None, dict[str, object]]]:
    from gateway.storage import Database

    database = Database(url, connect_timeout=5.0)
    await database.start()
    try:
        records = await database.events_since(0)
    finally:
        await database.close()
    # handle times of calls answered before midnight and ended after it are kept: read a day past the end
    end = start + timedelta(hours=hours + 24)
    return [(r.type, r.at, r.interaction_id, r.payload) for r in records if start <= r.at < end]


def _staffing(values: Sequence[str], queue_ids: Sequence[str]) -> Staffing:
    if not values:
        raise UsageError("--agents: give N (agents serving every queue) or QUEUE=N")
    pairs = _pairs(values, "--agents", queue_ids)
    if any(n != int(n) for n in pairs.values()):
        raise UsageError("--agents: a number of agents must be a whole number")
    dedicated = tuple((q, int(n)) for q, n in pairs.items() if q is not None)
    try:
        return Staffing(pooled=int(pairs.get(None, 0)), dedicated=dedicated)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _team(queues: Sequence[QueueSpec], staffing: Staffing) -> Team:
    try:
        return Team.build(queues, staffing)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _staff(
    queues: Sequence[QueueSpec],
    served: Sequence[str],
    arrivals: Sequence[Arrival],
    start: datetime,
    hours: float,
    interval: int,
) -> list[StaffingAnswer]:
    bar = ProgressBar("staffing  ")
    runs = [0]

    def tick() -> None:
        runs[0] += 1
        bar(min(0.99, runs[0] / (3 * len(served))))

    answers = [
        staffing_for(
            q,
            queues,
            arrivals,
            start=start.timestamp(),
            hours=hours,
            interval_seconds=interval * 60.0,
            on_run=tick,
        )
        for q in queues
        if q.id in served
    ]
    bar(1.0)
    bar.close()
    return answers


# -- the report --------------------------------------------------------------------------------------------


def _report(
    result: SimulationResult, staffing: Sequence[StaffingAnswer], served: Sequence[str], seed: int
) -> dict[str, object]:
    by_queue = {q: [f for f in result.intervals if f.queue == q] for q in served}
    return {
        "seed": seed,
        "queues": [
            {
                "queue": q,
                "intervals": [_figures(f) for f in by_queue[q]],
                "total": _figures(result.total(q)),
            }
            for q in served
        ],
        "staffing": [
            {
                "queue": s.queue,
                "agents": s.agents,
                "service_level": s.service_level,
                "target": s.target,
                "threshold_seconds": s.threshold_seconds,
                "erlang_c_agents": s.erlang_c_agents,
            }
            for s in staffing
        ],
        "waiting_at_end": result.unanswered_at_end,
    }


def _figures(f: IntervalFigures) -> dict[str, object]:
    handle = f.busy_seconds / f.answered if f.answered else None
    return {
        "start": datetime.fromtimestamp(f.start, UTC).isoformat(),
        "minutes": f.seconds / 60.0,
        "offered": f.offered,
        "answered": f.answered,
        "abandoned": f.abandoned,
        "unserved": f.unserved,
        "service_level": f.service_level,
        "asa_seconds": f.asa_seconds,
        "abandonment": f.abandonment,
        "occupancy": f.occupancy,
        "busy_seconds_per_answered": handle,
    }


def _pct(value: float | None) -> str:
    return "     -" if value is None else f"{100 * value:5.1f}%"


def _secs(value: float | None) -> str:
    return "      -" if value is None else f"{value:7.1f}"


def _row(label: str, f: IntervalFigures) -> str:
    return (
        f"  {label:<17}  {f.offered:7d} {f.answered:8d} {f.abandoned:9d}  {_pct(f.service_level)} "
        f"{_secs(f.asa_seconds)}  {_pct(f.abandonment)}  {_pct(f.occupancy)}"
    )


def _text(
    result: SimulationResult, staffing: Sequence[StaffingAnswer], served: Sequence[str], seed: int
) -> str:
    lines: list[str] = []
    for q in served:
        lines.append(f"queue {q}")
        lines.append("  interval (UTC)       offered answered abandoned      SL   ASA s   aband.   occup.")
        for f in result.intervals:
            if f.queue == q:
                lines.append(_row(datetime.fromtimestamp(f.start, UTC).strftime("%Y-%m-%d %H:%M"), f))
        lines.append(_row("total", result.total(q)))
    for s in staffing:
        goal = f"{100 * s.target:.0f}% in {s.threshold_seconds:g} s"
        if s.agents is None:
            lines.append(f"staffing {s.queue}: no team size tried met {goal}")
        else:
            lines.append(
                f"staffing {s.queue}: {s.agents} agent(s) meet {goal} "
                f"(simulated SL {_pct(s.service_level).strip()}; Erlang C says {s.erlang_c_agents})"
            )
    lines.append(f"seed {seed}; calls still waiting at the end: {result.unanswered_at_end}")
    return "\n".join(lines)
