"""`helpline simulate` as a planner runs it: the real routing core in virtual time, checked against
queueing theory computed here, independently of the product's own Erlang C."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import io
import json
import math
from pathlib import Path

import pytest

from gateway.analytics import QueueLoad, Simulation, Staffing, Team, poisson_arrivals
from gateway.cli import main
from gateway.config import load_config, queue_specs

CONFIG = """\
skills: [{id: billing, name: Billing}]
queues:
  - id: support
    name: Support
    skills: [{skill: billing}]
    service_level: {threshold_seconds: 20, target_percent: 80}
    wrap_up_seconds: %(wrap)s
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "helpline.yaml"
    path.write_text(CONFIG % {"wrap": 0}, encoding="utf-8")
    return path


def simulate(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    code = main(["simulate", *args, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    report: dict[str, object] = json.loads(out)
    return report


def total(report: dict[str, object], queue: str = "support") -> dict[str, float]:
    queues = report["queues"]
    assert isinstance(queues, list)
    figures: dict[str, float] = next(q["total"] for q in queues if q["queue"] == queue)
    return figures


def erlang_c(agents: int, traffic: float, handle: float, threshold: float) -> tuple[float, float]:
    """(service level, ASA) from the textbook formula with factorials (the product uses a recurrence)."""
    top = traffic**agents / math.factorial(agents) * agents / (agents - traffic)
    waits = top / (sum(traffic**k / math.factorial(k) for k in range(agents)) + top)
    service_level = 1 - waits * math.exp(-(agents - traffic) * threshold / handle)
    return service_level, waits * handle / (agents - traffic)


# The worked example of Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example"
# (https://www.callcentrehelper.com/erlang-c-formula-example-121281.htm): 100 calls in 30 minutes, an
# average handle time of 180 s, a target of 80% answered in 20 s: 10 Erlangs; the example tries
# successive agent counts until the target is met. Three of those counts are checked here.
@pytest.mark.timeout(300)
@pytest.mark.parametrize("agents", [12, 13, 14])
def test_given_the_worked_example_when_simulated_then_sl_and_asa_match_erlang_c(
    capsys: pytest.CaptureFixture[str], config: Path, agents: int
) -> None:
    # 600 h = ~120,000 calls: across 30 seeds the ASA of such a run spreads with a 6% standard deviation
    report = simulate(
        capsys,
        *("--config", str(config), "--arrivals", "support=200", "--handle-time", "180"),
        *("--agents", str(agents), "--hours", "600", "--seed", "2026", "--interval", "60", "--no-staffing"),
    )
    service_level, asa = erlang_c(agents, 200 * 180 / 3600, 180, 20)
    figures = total(report)
    assert abs(figures["service_level"] - service_level) <= 0.03
    assert abs(figures["asa_seconds"] - asa) <= 0.10 * asa
    assert figures["abandoned"] == 0
    assert figures["offered"] == figures["answered"]
    assert figures["occupancy"] == pytest.approx(10 / agents, rel=0.02)


def test_given_poisson_calls_when_simulated_then_every_wait_is_that_of_a_fifo_queue_with_n_agents(
    config: Path,
) -> None:
    """On one sample path the core must behave as the textbook FIFO queue with the first free agent."""
    arrivals = poisson_arrivals([QueueLoad("support", 200, 180)], hours=20, seed=5)
    queues = queue_specs(load_config(config))
    result = Simulation(
        team=Team.build(queues, Staffing(pooled=11)), arrivals=arrivals, start=1767603600.0, hours=20
    ).run()
    free = [0.0] * 11
    waits = []
    for call in arrivals:
        begins = max(heapq.heappop(free), call.at)
        waits.append(begins - call.at)
        heapq.heappush(free, begins + call.handle_seconds)
    got = result.total("support")
    assert got.answered == len(arrivals)
    assert got.wait_seconds == pytest.approx(sum(waits), rel=1e-9)
    assert got.answered_in_threshold == sum(w <= 20 for w in waits)
    assert sum(waits) > 0  # the path has queueing in it, or the comparison proves nothing


def test_given_a_seed_when_run_twice_then_reports_are_equal_and_another_seed_differs(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    args = ("--config", str(config), "--arrivals", "support=120", "--handle-time", "240", "--agents", "9")
    first = simulate(capsys, *args, "--hours", "4", "--seed", "3")
    again = simulate(capsys, *args, "--hours", "4", "--seed", "3")
    other = simulate(capsys, *args, "--hours", "4", "--seed", "4")
    assert first == again
    assert total(first) != total(other)


def test_given_staffing_answer_when_checked_by_two_more_runs_then_n_meets_the_target_and_n_minus_1_not(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    args = ("--config", str(config), "--arrivals", "support=150", "--handle-time", "200", "--hours", "40")
    report = simulate(capsys, *args, "--agents", "3", "--seed", "8")
    staffing = report["staffing"]
    assert isinstance(staffing, list)
    [answer] = staffing
    assert answer["queue"] == "support" and answer["target"] == 0.8
    needed = answer["agents"]
    meets = simulate(capsys, *args, "--agents", str(needed), "--seed", "8", "--no-staffing")
    short = simulate(capsys, *args, "--agents", str(needed - 1), "--seed", "8", "--no-staffing")
    assert total(meets)["service_level"] >= 0.8 > total(short)["service_level"]
    assert total(meets)["service_level"] == answer["service_level"]


def test_given_impatient_callers_when_understaffed_then_calls_abandon_and_all_are_accounted_for(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    report = simulate(
        capsys,
        *("--config", str(config), "--arrivals", "support=120", "--handle-time", "300"),
        *("--patience", "30", "--agents", "5", "--hours", "8", "--seed", "1", "--no-staffing"),
    )
    figures = total(report)
    assert figures["abandoned"] > 0.2 * figures["offered"]
    assert figures["answered"] + figures["abandoned"] == figures["offered"]
    assert figures["abandonment"] == pytest.approx(figures["abandoned"] / figures["offered"])
    queues = report["queues"]
    assert isinstance(queues, list)
    assert len(queues[0]["intervals"]) == 16  # 8 h in 30-minute intervals


def test_given_wrap_up_in_the_config_when_simulated_then_the_core_keeps_agents_busy_through_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "wrap.yaml"
    path.write_text(CONFIG % {"wrap": 60}, encoding="utf-8")
    report = simulate(
        capsys,
        *("--config", str(path), "--arrivals", "support=60", "--handle-time", "120"),
        *("--agents", "20", "--hours", "50", "--seed", "2", "--no-staffing"),
    )
    figures = total(report)
    # 20 agents rarely all busy: occupancy = calls x (talk + wrap-up) / staffed time
    expected = figures["answered"] * (120 + 60) / (20 * 50 * 3600)
    assert figures["occupancy"] == pytest.approx(expected, rel=0.05)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--arrivals", "sales=10", "--handle-time", "60", "--agents", "2"], "unknown queue 'sales'"),
        (["--arrivals", "support=ten", "--handle-time", "60", "--agents", "2"], "'ten' is not a number"),
        (["--arrivals", "support=10", "--agents", "2"], "--handle-time: no handle time for queue 'support'"),
        (["--arrivals", "support=10", "--handle-time", "60"], "--agents: give N"),
        (["--arrivals", "support=10", "--handle-time", "60", "--agents", "2", "--hours", "0"], "--hours"),
        (["--arrivals", "support=10", "--handle-time", "0", "--agents", "2"], "handle time must be > 0"),
    ],
)
def test_given_bad_options_when_simulating_then_exit_2_naming_the_option(
    capsys: pytest.CaptureFixture[str], config: Path, args: list[str], message: str
) -> None:
    assert main(["simulate", "--config", str(config), *args]) == 2
    assert message in capsys.readouterr().err


async def test_given_a_logged_day_when_replayed_then_its_calls_and_talk_times_drive_the_simulation(
    tmp_path: Path, config: Path
) -> None:
    """The day is logged by a real router and stored the way the gateway stores its events."""
    from gateway.acd import NewInteraction, Presence, Router
    from gateway.acd_server._writer import event_record
    from gateway.storage import Database

    queues = queue_specs(load_config(config))
    team = Team.build(queues, Staffing(pooled=1))
    router = Router(queues=team.queues, agents=team.agents)
    day = 1772409600.0  # 2026-03-02 00:00 UTC
    log = router.set_presence("agent-1", Presence.available(), day)
    log += router.enqueue(NewInteraction(id="c0", queue="support"), day + 3600)
    log += router.accept("c0", "agent-1", day + 3600)
    log += router.end("c0", day + 3900)  # 300 s of talk
    log += router.enqueue(NewInteraction(id="c1", queue="support"), day + 7200)
    log += router.accept("c1", "agent-1", day + 7200)
    log += router.enqueue(NewInteraction(id="c2", queue="support"), day + 7210)  # waits for agent-1
    log += router.end("c1", day + 7320)  # 120 s of talk
    log += router.abandon("c2", day + 7325)  # hung up while it rang: no talk time logged
    url = f"sqlite+aiosqlite:///{tmp_path / 'helpline.db'}"
    database = Database(url)
    await database.start()
    await database.append_events([event_record(ev) for ev in log])
    await database.close()

    def run() -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(
                [
                    *("simulate", "--config", str(config), "--from-log", "2026-03-02", "--database-url", url),
                    *("--handle-time", "90", "--agents", "1", "--interval", "60", "--json", "--no-staffing"),
                ]
            )
        return code, out.getvalue(), err.getvalue()

    code, out, err = await asyncio.to_thread(run)
    assert code == 0, err
    report = json.loads(out)
    figures = total(report)
    assert figures["offered"] == 3 and figures["answered"] == 3
    hours = {f["start"][11:13]: f["offered"] for f in report["queues"][0]["intervals"] if f["offered"]}
    assert hours == {"01": 1, "02": 2}
    # one agent: the 02:00:10 call waits for the 02:00 call's logged 120 s of talk
    assert figures["asa_seconds"] == pytest.approx(110 / 3)
