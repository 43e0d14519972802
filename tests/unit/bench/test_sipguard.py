"""The SIP guard benchmark's CPU part runs and reports a cost per kind of datagram."""

from __future__ import annotations

from bench import sipguard as bench


def test_given_a_few_datagrams_when_benchmarked_then_each_kind_has_a_positive_cpu_cost() -> None:
    result = bench.run(datagrams=50, rounds=0)

    costs = [result[f"cpu_{kind}_us"] for kind in ("invite", "ack", "bye", "answer_back")]
    assert all(isinstance(cost, float) and cost > 0 for cost in costs), result
    assert result["datagrams"] == 50
