"""What a bench run found, and the table it prints."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.sip._measure import Idle, Seen
from bench.sip._options import GOAL_CALLS_PER_CORE
from bench.sip._scenarios import DIGITS, Scenario
from bench.sip._sipp import SippRun

__all__ = ["BenchReport", "StepResult", "format_table", "step_result"]


@dataclass(slots=True, kw_only=True)
class StepResult:
    target: int
    """N: SIPp's `-l`."""
    calls: int
    """SIPp's `-m`: calls placed in the step."""
    rate: float
    ok: bool
    failures: int
    """sipp_unsuccessful + digits_missed + sessions_failed + answers_mismatched + worker_restarts."""
    sipp_unsuccessful: int
    """Calls SIPp did not complete as written (failed, or unfinished at its time limit)."""
    digits_missed: int
    """Calls answered by the IVR whose digits were not exactly 1 5 #."""
    sessions_failed: int
    """Bridged sessions whose agent leg never connected, or whose recordings are missing or silent."""
    examples: list[str]
    """Up to 5 examples of what went wrong (the digits the IVR got instead, a session's fault)."""
    answers_mismatched: int
    """|calls SIPp completed - calls the IVR answered and saw end|: a call unaccounted for."""
    worker_restarts: int
    not_answered: int
    """Not failures by themselves: calls a worker saw but that were cancelled before the ACK (Kamailio
    moved them to another worker after its no-reply timer, or the caller gave up)."""
    refused: int
    """Not failures by themselves: INVITEs a full worker refused with 503 (Kamailio tries the next)."""
    errors: int
    """Not failures by themselves: commands a worker could not carry out (mostly on calls already gone)."""
    peak_concurrency: int
    mean_concurrency: float
    seconds: float
    caller_cpu_percent: float
    """CPU of the SIPp caller (the load generator) over the step, in % of one core."""
    calls_per_second: float
    """Completed calls per second of the step."""
    cpu_seconds: float
    """CPU of the measured processes over the step, plus `mix_cpu_seconds`."""
    mix_cpu_seconds: float
    """Bridged: CPU of the stereo mixes (sox), which the gateway runs after each recorded session."""
    cpu_percent: float
    """Mean CPU of the measured processes over the step, in % of one core."""
    cpu_percent_per_call: float
    """cpu_seconds / call-seconds, in % of one core per concurrent call (fixed idle cost included)."""
    cpu_percent_per_call_over_idle: float
    """The same without the processes' idle CPU (what one more call costs)."""
    rss_mb: float
    pss_mb: float
    """Peak memory of the measured processes during the step."""
    rss_mb_per_call: float
    pss_mb_per_call: float
    """(peak - idle) / peak concurrency."""


@dataclass(slots=True, kw_only=True)
class BenchReport:
    """Bridged: N counts sessions (two calls each), and every per-call figure is per session."""

    scenario: Scenario
    library: str
    worker_python: str
    worker_args: list[str]
    front: str
    workers: int
    worker_limit: int
    hold_seconds: float
    duration: float
    idle_cpu_percent: float
    idle_rss_mb: float
    idle_pss_mb: float
    steps: list[StepResult] = field(default_factory=list)
    best: StepResult | None = None
    baseline: StepResult | None = None
    cpu_ratio: float | None = None
    """Helpline's CPU / the SIPp UAS's CPU at the same N."""
    calls_per_core: float | None = None
    """100 / cpu_percent_per_call at the best N: concurrent calls one core carries, idle cost included."""
    calls_per_core_over_idle: float | None = None
    goal_calls_per_core: int = GOAL_CALLS_PER_CORE
    stopped_by_budget: bool = False
    notes: list[str] = field(default_factory=list)


def _what(report: BenchReport) -> str:
    if report.scenario is Scenario.BRIDGED:
        return (
            f"bridged sessions of {report.hold_seconds:g} s (caller + agent leg, both recorded, stereo mix); "
            "N, calls and per-call figures count sessions"
        )
    return f"IVR calls of {report.hold_seconds:g} s (prompt, digits {DIGITS}, BYE)"


def format_table(report: BenchReport) -> str:
    python = " ".join([report.worker_python, *report.worker_args])
    lines = [
        f"helpline bench sip: pjsua2 {report.library} ({python}), "
        f"{report.workers} worker(s) x {report.worker_limit} calls, {report.front}",
        f"{_what(report)}, {report.duration:g} s per step",
        f"idle: {report.idle_cpu_percent:.1f} % of a core, {report.idle_rss_mb:.0f} MB RSS, "
        f"{report.idle_pss_mb:.0f} MB PSS",
        "",
        f"{'N':>5} {'calls':>6} {'fail':>5} {'peak':>5} {'mean':>6} {'calls/s':>8} {'CPU %':>7} "
        f"{'%/call':>7} {'PSS MB':>7} {'MB/call':>8} {'caller %':>8}  result",
    ]
    rows = [*report.steps, *([report.baseline] if report.baseline else [])]
    for index, step in enumerate(rows):
        label = "ok" if step.ok else "FAIL"
        if step is report.baseline and index == len(report.steps):
            label += " (baseline: SIPp UAS)"
        lines.append(
            f"{step.target:>5} {step.calls:>6} {step.failures:>5} {step.peak_concurrency:>5} "
            f"{step.mean_concurrency:>6.1f} {step.calls_per_second:>8.2f} {step.cpu_percent:>7.1f} "
            f"{step.cpu_percent_per_call:>7.3f} {step.pss_mb:>7.0f} {step.pss_mb_per_call:>8.3f} "
            f"{step.caller_cpu_percent:>8.1f}  {label}"
        )
    lines.append("")
    for step in report.steps:
        if step.failures or step.not_answered or step.refused or step.errors:
            got = ", ".join(repr(d) for d in step.examples)
            lines.append(
                f"N={step.target}: failed in SIPp {step.sipp_unsuccessful}, "
                f"digits missed {step.digits_missed}, sessions failed {step.sessions_failed}"
                f"{f' (e.g. {got})' if got else ''}, "
                f"unaccounted {step.answers_mismatched}, "
                f"worker restarts {step.worker_restarts}; moved to another worker {step.not_answered}, "
                f"refused by a full worker {step.refused}, failed commands {step.errors}"
            )
    best, baseline = report.best, report.baseline
    if best is None:
        lines.append("no concurrency passed with 0 failures")
    else:
        lines.append(
            f"largest N with 0 failures: {best.target} (peak {best.peak_concurrency}), "
            f"{best.calls_per_second:.2f} calls/s"
        )
        lines.append(
            f"helpline: {best.cpu_percent:.1f} % of a core in all, "
            f"{best.cpu_percent_per_call:.3f} % per call -> {report.calls_per_core or 0:.0f} calls per core "
            f"(goal {report.goal_calls_per_core}); over idle: {best.cpu_percent_per_call_over_idle:.3f} % "
            f"per call -> {report.calls_per_core_over_idle or 0:.0f} per core; "
            f"{best.rss_mb_per_call:.2f} MB RSS, {best.pss_mb_per_call:.2f} MB PSS per call"
        )
    if baseline is not None:
        lines.append(
            f"baseline (SIPp UAS, same scenario, N={baseline.target}): "
            f"{baseline.cpu_percent:.1f} % of a core, "
            f"{baseline.cpu_percent_per_call:.3f} % per call; CPU ratio helpline/baseline: "
            f"{report.cpu_ratio if report.cpu_ratio is not None else 'n/a'}"
        )
    if report.stopped_by_budget:
        lines.append("the search stopped at its time budget (--time-budget)")
    lines.extend(f"note: {note}" for note in report.notes)
    return "\n".join(lines)


def step_result(
    n: int,
    *,
    calls: int,
    rate: float,
    run: SippRun,
    seen: Seen,
    cpu: float,
    caller_cpu: float,
    idle: Idle,
    peak_kb: tuple[int, int],
) -> StepResult:
    """One step's figures from what SIPp, /proc and the controller said."""
    cpu += seen.extra_cpu_seconds
    unsuccessful = max(calls - run.successful, run.failed)
    # A call SIPp completed must have been answered by a worker, once: Kamailio answers nothing itself.
    unseen = 0 if seen.answered is None else abs(run.successful - seen.answered)
    failures = unsuccessful + seen.digits_missed + seen.sessions_failed + unseen + seen.restarts
    peak, (rss_kb, pss_kb) = max(run.peak, 1), peak_kb
    busy = cpu - idle.cpu_percent / 100 * run.seconds

    def per_second(value: float, scale: float = 1.0) -> float:
        return round(value / run.seconds * scale, 2) if run.seconds else 0.0

    def per_call(value: float) -> float:
        return round(value / run.call_seconds * 100, 4) if run.call_seconds else 0.0

    return StepResult(
        target=n, calls=calls, rate=rate, ok=failures == 0 and run.peak >= n, failures=failures,
        sipp_unsuccessful=unsuccessful, digits_missed=seen.digits_missed,
        sessions_failed=seen.sessions_failed, examples=seen.missed, answers_mismatched=unseen,
        worker_restarts=seen.restarts,
        not_answered=seen.not_answered, refused=seen.refused, errors=seen.errors, peak_concurrency=run.peak,
        mean_concurrency=per_second(run.call_seconds), seconds=round(run.seconds, 2),
        caller_cpu_percent=per_second(caller_cpu, 100), calls_per_second=per_second(run.successful),
        cpu_seconds=round(cpu, 2), mix_cpu_seconds=round(seen.extra_cpu_seconds, 2),
        cpu_percent=per_second(cpu, 100), cpu_percent_per_call=per_call(cpu),
        cpu_percent_per_call_over_idle=per_call(max(0.0, busy)),
        rss_mb=round(rss_kb / 1024, 1), pss_mb=round(pss_kb / 1024, 1),
        rss_mb_per_call=round(max(0, rss_kb - idle.rss_kb) / 1024 / peak, 3),
        pss_mb_per_call=round(max(0, pss_kb - idle.pss_kb) / 1024 / peak, 3),
    )  # fmt: skip
