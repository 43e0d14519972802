"""`helpline bench sip` options, from its command line."""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence
from dataclasses import dataclass

from bench.sip._scenarios import MIN_HOLD_SECONDS, Scenario

__all__ = ["GOAL_CALLS_PER_CORE", "BenchOptions", "parse_options"]

GOAL_CALLS_PER_CORE = 300


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchOptions:
    scenario: Scenario = Scenario.IVR
    workers: int | None = None
    """Media workers; None: enough for `max_concurrent` at the worker's measured call limit."""
    worker_python: str | None = None
    """The interpreter the workers run on (another venv, another pjsua2 wheel); None: this one."""
    worker_args: tuple[str, ...] = ()
    """Extra command-line options for every worker (`python -m gateway.sip.worker --help`)."""
    calls_per_second: float | None = None
    """SIPp's call rate; None: 2 N / hold per step, so that SIPp is held back by `-l N`, not the rate."""
    max_concurrent: int = 400
    start_concurrent: int = 8
    hold_seconds: float = 8.0
    duration: float = 15.0
    """Seconds of call starts per step after the first N (the step lasts about duration + hold)."""
    time_budget: float = 420.0
    """Seconds for the search and the baseline together (set-up not included)."""
    kamailio: bool = True
    as_json: bool = False

    def __post_init__(self) -> None:
        if self.workers is not None and not 1 <= self.workers <= 200:
            raise ValueError(f"--workers must be 1..200, got {self.workers}")
        if self.worker_python is not None and shutil.which(self.worker_python) is None:
            raise ValueError(f"--worker-python {self.worker_python!r} is not an executable")
        if self.calls_per_second is not None and not 0 < self.calls_per_second <= 2000:
            raise ValueError(f"--calls-per-second must be in (0, 2000], got {self.calls_per_second}")
        if not 1 <= self.max_concurrent <= 5000:
            raise ValueError(f"--max-concurrent must be 1..5000, got {self.max_concurrent}")
        if self.start_concurrent < 1:
            raise ValueError(f"--start-concurrent must be >= 1, got {self.start_concurrent}")
        if not MIN_HOLD_SECONDS <= self.hold_seconds <= 600:
            raise ValueError(f"--hold-seconds must be {MIN_HOLD_SECONDS:g}..600, got {self.hold_seconds}")
        if not 1 <= self.duration <= 3600:
            raise ValueError(f"--duration must be 1..3600, got {self.duration}")
        if not 10 <= self.time_budget <= 24 * 3600:
            raise ValueError(f"--time-budget must be 10..86400, got {self.time_budget}")

    @property
    def legs_per_session(self) -> int:
        """Calls a session holds in its worker: the caller, and for a bridged session the agent leg."""
        return 2 if self.scenario is Scenario.BRIDGED else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="helpline bench sip",
        description="The most concurrent IVR calls (answer, prompt, DTMF, hang-up), or bridged recorded "
        "sessions, the media workers carry with 0 failures, with CPU and memory per call and a SIPp UAS "
        "baseline.",
    )
    parser.add_argument(
        "--scenario", choices=[s.value for s in Scenario], default="ivr", help="what a call does"
    )
    parser.add_argument("--workers", type=int, default=None, help="media workers (default: enough for N)")
    parser.add_argument("--worker-python", default=None, help="interpreter for the workers (another venv)")
    parser.add_argument(
        "--worker-arg",
        action="append",
        default=[],
        help="extra worker option, e.g. --worker-arg=--poll-ms=10",
    )
    parser.add_argument(
        "--calls-per-second", type=float, default=None, help="SIPp call rate (default: 2N/hold)"
    )
    parser.add_argument("--max-concurrent", type=int, default=400, help="upper bound of the search")
    parser.add_argument("--start-concurrent", type=int, default=8, help="first N tried")
    parser.add_argument("--hold-seconds", type=float, default=8.0, help="call length after the answer")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of calls per step")
    parser.add_argument("--time-budget", type=float, default=420.0, help="seconds for search + baseline")
    parser.add_argument("--no-kamailio", action="store_true", help="one worker, no Kamailio in front")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def parse_options(argv: Sequence[str] | None) -> BenchOptions:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return BenchOptions(
            scenario=Scenario(args.scenario),
            workers=args.workers,
            worker_python=args.worker_python,
            worker_args=tuple(args.worker_arg),
            calls_per_second=args.calls_per_second,
            max_concurrent=args.max_concurrent,
            start_concurrent=args.start_concurrent,
            hold_seconds=args.hold_seconds,
            duration=args.duration,
            time_budget=args.time_budget,
            kamailio=not args.no_kamailio,
            as_json=args.json,
        )
    except ValueError as exc:
        parser.error(str(exc))
