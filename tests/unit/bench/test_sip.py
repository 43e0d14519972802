"""`helpline bench sip`: a small real run (SIPp, media workers, Kamailio if installed) gives a sane report."""

from __future__ import annotations

import json
import math
import shutil
import struct
import wave
from pathlib import Path

import pytest

from bench import sip as bench
from gateway.sip import CallState, Disconnected, Dtmf, DtmfMethod, Incoming, State


def _tools() -> None:
    if shutil.which("sipp") is None:
        pytest.fail("`sipp` is not installed: this test needs the Debian package `sip-tester`")
    if not Path("/usr/share/sip-tester/dtmf_2833_1.pcap").is_file():
        pytest.fail("SIPp's pcaps are missing: this test needs the Debian package `sip-tester`")


@pytest.mark.timeout(90)
def test_given_a_small_search_when_it_runs_then_the_report_has_a_passing_n_and_a_baseline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _tools()

    status = bench.main(
        [
            "--max-concurrent", "4", "--start-concurrent", "4",
            "--duration", "5", "--hold-seconds", "4", "--time-budget", "60", "--json",
        ]
    )  # fmt: skip

    assert status == 0
    report = json.loads(capsys.readouterr().out)
    best, baseline = report["best"], report["baseline"]
    assert report["worker_limit"] >= 2
    assert report["workers"] >= 1
    assert report["library"].startswith("2.")
    assert best is not None and best["target"] >= 1
    assert best["ok"] and best["failures"] == 0
    assert best["digits_missed"] == 0 and best["sipp_unsuccessful"] == 0 and best["answers_mismatched"] == 0
    assert best["peak_concurrency"] >= best["target"]
    assert best["calls_per_second"] > 0
    assert best["cpu_seconds"] > 0 and best["cpu_percent_per_call"] > 0
    assert best["pss_mb"] > 0
    assert baseline is not None and baseline["target"] == best["target"]
    assert baseline["failures"] == 0 and baseline["cpu_seconds"] > 0
    assert report["cpu_ratio"] is not None and report["cpu_ratio"] > 0
    assert [s["target"] for s in report["steps"]] == [4]


@pytest.mark.timeout(120)
def test_given_bridged_sessions_when_a_small_search_runs_then_both_legs_are_recorded_and_mixed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _tools()

    status = bench.main(
        [
            "--scenario", "bridged", "--max-concurrent", "3", "--start-concurrent", "3",
            "--duration", "5", "--hold-seconds", "5", "--time-budget", "60", "--json",
        ]
    )  # fmt: skip

    assert status == 0
    report = json.loads(capsys.readouterr().out)
    best = report["best"]
    assert report["scenario"] == "bridged"
    assert best is not None and best["target"] == 3 and best["ok"]
    assert (best["sessions_failed"], best["sipp_unsuccessful"], best["answers_mismatched"]) == (0, 0, 0)
    assert best["examples"] == []
    assert 0 < best["mix_cpu_seconds"] < best["cpu_seconds"]
    assert report["baseline"]["failures"] == 0 and report["cpu_ratio"] > 0


def _wav(path: Path, samples: list[int], channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))
    return path


def test_given_recordings_when_measured_then_silence_sound_and_each_stereo_channel_are_told_apart(
    tmp_path: Path,
) -> None:
    tone = [int(3000 * math.sin(2 * math.pi * 600 * n / 8000)) for n in range(8000)]
    silence = [0] * 8000
    stereo = [sample for pair in zip(tone, silence, strict=True) for sample in pair]

    assert bench.loudness(_wav(tmp_path / "silent.wav", silence)) == [0.0]
    [level] = bench.loudness(_wav(tmp_path / "tone.wav", tone))
    assert 2000 < level < 2200  # 3000 / sqrt(2)
    left, right = bench.loudness(_wav(tmp_path / "stereo.wav", stereo, channels=2))
    assert (round(left), right) == (round(level), 0.0)
    assert bench.loudness(_wav(tmp_path / "short.wav", tone[:4000])) == []


def test_given_bad_options_when_parsed_then_the_bench_exits_with_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exited:
        bench.main(["--hold-seconds", "2"])
    assert exited.value.code == 2

    with pytest.raises(SystemExit) as exited:
        bench.main(["--worker-python", "/nonexistent/python"])
    assert exited.value.code == 2


def test_given_sipp_statistics_when_read_then_peak_and_call_seconds_come_from_current_call(
    tmp_path: Path,
) -> None:
    header = "StartTime;CurrentTime;CurrentCall;SuccessfulCall(C);FailedCall(C)"
    rows = [
        "2026-01-01\t00:00:00.0\t100.0;2026-01-01\t00:00:00.0\t100.0;0;0;0",
        "2026-01-01\t00:00:00.0\t100.0;2026-01-01\t00:00:01.0\t101.0;4;0;0",
        "2026-01-01\t00:00:00.0\t100.0;2026-01-01\t00:00:03.0\t103.0;2;3;1",
    ]
    stats = tmp_path / "stats.csv"
    stats.write_text("\n".join([header, *rows]) + "\n")

    successful, failed, peak, call_seconds = bench.read_stats(stats)

    assert (successful, failed, peak) == (3, 1, 4)
    assert call_seconds == pytest.approx(0 * 1 + 4 * 2)


async def test_given_calls_when_they_end_then_only_answered_calls_are_checked_for_the_digits(
    tmp_path: Path,
) -> None:
    controller = bench.IvrController(tmp_path / "prompt.wav")
    good, short, moved = "w-1", "w-2", "w-3"
    for call_id in (good, short, moved):
        await controller.on_event(0, Incoming(call_id=call_id, from_uri="", to_uri="", sip_call_id=call_id))
    for call_id in (good, short):
        await controller.on_event(0, State(call_id=call_id, state=CallState.CONFIRMED))
    for digit in "15#":
        await controller.on_event(0, Dtmf(call_id=good, digit=digit, method=DtmfMethod.RFC4733))
    await controller.on_event(0, Dtmf(call_id=short, digit="1", method=DtmfMethod.RFC4733))
    assert controller.active == 3

    for call_id in (good, short, moved):
        await controller.on_event(0, Disconnected(call_id=call_id, code=200, reason="Normal"))

    assert controller.active == 0
    assert (controller.answered, controller.digits_missed, controller.not_answered) == (2, 1, 1)
    assert controller.missed == ["1"]
