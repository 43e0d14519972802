"""The routing benchmark runs end to end on a small population and reports what the CLI prints."""

from __future__ import annotations

import json

import pytest

from bench import routing as bench


def test_given_small_population_when_benchmarked_then_decisions_are_measured_and_matched() -> None:
    result = bench.run(agents=30, skills=6, waiting=200, decisions=400, seed=3)
    assert result["decisions"] == 400
    assert isinstance(result["offers_made"], int) and result["offers_made"] > 0
    assert isinstance(result["p99_us"], float) and result["p99_us"] >= result["p50_us"]  # type: ignore[operator]


def test_given_a_run_when_reported_then_cpu_time_per_decision_is_reported_beside_wall_time() -> None:
    result = bench.run(agents=30, skills=6, waiting=200, decisions=400, seed=3)
    cpu_mean, cpu_p50, cpu_p99 = result["cpu_mean_us"], result["cpu_p50_us"], result["cpu_p99_us"]
    assert isinstance(cpu_mean, float) and isinstance(cpu_p50, float) and isinstance(cpu_p99, float)
    assert 0 < cpu_p50 <= cpu_p99
    per_cpu_second = result["decisions_per_cpu_second"]
    assert isinstance(per_cpu_second, int) and per_cpu_second == pytest.approx(1e6 / cpu_mean, rel=0.01)


def test_given_json_flag_when_main_runs_then_it_prints_one_json_object(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["--agents", "10", "--skills", "4", "--waiting", "20", "--decisions", "50", "--json"]
    assert bench.main(args) == 0
    assert json.loads(capsys.readouterr().out)["agents"] == 10
