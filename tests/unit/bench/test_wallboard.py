"""The wallboard benchmark's CPU part on a small floor: it drives the real router, metrics feed and board."""

from __future__ import annotations

from bench.wallboard import measure_cpu, write_config
from gateway.config import parse_config


def test_given_a_small_floor_when_cpu_is_measured_then_each_part_has_a_cost_per_event() -> None:
    config = parse_config(write_config(agents=20, queues=4))
    report = measure_cpu(config, 2_000, window=0.05, runs=1)
    assert report["events"] >= 2_000
    # the console reads the board at most once per 50 ms of simulated time
    assert 0 < report["board_pushes"] <= report["simulated_seconds"] / 0.05 + 1
    costs = report["us_per_event"]
    assert set(costs) == {"routing", "fold", "board"}
    assert all(value > 0 for value in costs.values()), costs
    assert report["metrics_to_routing"] > 0
