"""The metrics benchmark runs end to end on a small population and reports both costs per event."""

from __future__ import annotations

import json

import pytest

from bench import metrics as bench
from gateway.cli import main as helpline


def test_given_small_population_when_benchmarked_then_routing_and_metrics_cpu_are_reported_per_event() -> (
    None
):
    result = bench.run(agents=30, queues=6, waiting=100, decisions=400, seed=3, decisions_per_second=50)
    events, decisions = result["events"], result["decisions"]
    assert decisions == 400 and isinstance(events, int) and events > decisions  # offers, accepts, ends...
    routing, metrics = result["routing_cpu_us_per_event"], result["metrics_cpu_us_per_event"]
    assert isinstance(routing, float) and isinstance(metrics, float) and routing > 0 and metrics > 0
    assert result["metrics_over_routing_percent"] == pytest.approx(100 * metrics / routing, rel=0.05)
    assert result["deltas_sent"] and result["console_listening"] is True  # 8 s of virtual time: 32 deltas


def test_given_the_cli_when_bench_metrics_runs_then_it_prints_one_json_object(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["bench", "metrics", "--agents", "10", "--queues", "4", "--waiting", "20", "--decisions", "50"]
    assert helpline([*args, "--json", "--no-console"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["agents"], out["console_listening"], out["deltas_sent"]) == (10, False, 0)
