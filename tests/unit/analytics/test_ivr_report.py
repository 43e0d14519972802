"""The IVR report on a hand-computed reference log: the engine's figures per interval, the same figures over
REST as JSON, and the CSV download read back through Python's csv module."""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.acd import JSON, Event, EventType, IvrStep, IvrStepKind
from gateway.analytics import Granularity, IvrNodeFigures, IvrTotals, MetricsEngine, QueueMetricsSpec
from gateway.analytics import http as stats_http
from gateway.auth import TOKENS, Principal, TokenService, guard
from gateway.web import error_middleware_for

TZ = "Europe/Paris"


def at(hour: int, minute: int, second: int = 0) -> float:
    return datetime(2026, 1, 15, hour, minute, second, tzinfo=ZoneInfo(TZ)).timestamp()


K = IvrStepKind
MENU, BILLING, SUPPORT = "main.menu", "billing[0]", "support[0]"


def reference_log() -> list[Event]:
    """Four calls, two in each quarter hour from 09:45 local (c3 enters at 10:00:00 sharp)."""
    log: list[Event] = []

    def ivr(t: float, call: str, kind: IvrStepKind, node: str = "", verb: str = "", **more: str) -> None:
        step = IvrStep(call=call, kind=kind, node=node, verb=verb, **more)  # type: ignore[arg-type]
        log.append(Event(len(log) + 1, EventType.IVR, t, step.interaction_id, None, step.data()))

    def routing(t: float, kind: EventType, iid: str, **data: JSON) -> None:
        log.append(Event(len(log) + 1, kind, t, iid, None, data))

    # c1: presses 1, says nothing at the account prompt, hangs up there
    ivr(at(9, 51), "c1", K.STARTED)
    ivr(at(9, 51), "c1", K.REACHED, MENU, "menu")
    ivr(at(9, 51, 5), "c1", K.CHOSE, MENU, "menu", option="1", by="dtmf")
    ivr(at(9, 51, 5), "c1", K.REACHED, BILLING, "collect")
    ivr(at(9, 51, 20), "c1", K.NO_INPUT, BILLING, "collect")
    ivr(at(9, 52), "c1", K.LEFT, BILLING, "collect", left="hung_up")
    # c2: presses 7 (no such option), then says "support": queued, and abandons in the queue
    ivr(at(9, 55), "c2", K.STARTED)
    ivr(at(9, 55), "c2", K.REACHED, MENU, "menu")
    ivr(at(9, 55, 4), "c2", K.INVALID_INPUT, MENU, "menu", by="dtmf")
    ivr(at(9, 56), "c2", K.CHOSE, MENU, "menu", option="2", by="speech")
    ivr(at(9, 56), "c2", K.REACHED, SUPPORT, "queue")
    ivr(at(9, 56), "c2", K.LEFT, SUPPORT, "queue", left="queue", queue="support")
    routing(at(9, 56), EventType.RECEIVED, "i2", queue="support")
    routing(at(9, 56), EventType.QUEUED, "i2", queue="support")
    routing(at(9, 58), EventType.ABANDONED, "i2")
    # c3: enters at 10:00:00, says nothing, the menu's on_no_input hangs up
    ivr(at(10, 0), "c3", K.STARTED)
    ivr(at(10, 0), "c3", K.REACHED, MENU, "menu")
    ivr(at(10, 0, 8), "c3", K.NO_INPUT, MENU, "menu")
    ivr(at(10, 0, 8), "c3", K.LEFT, MENU, "menu", left="hangup")
    # c4: presses 2, queued
    ivr(at(10, 5), "c4", K.STARTED)
    ivr(at(10, 5), "c4", K.REACHED, MENU, "menu")
    ivr(at(10, 5, 3), "c4", K.CHOSE, MENU, "menu", option="2", by="dtmf")
    ivr(at(10, 5, 3), "c4", K.REACHED, SUPPORT, "queue")
    ivr(at(10, 5, 3), "c4", K.LEFT, SUPPORT, "queue", left="queue", queue="support")
    return log


def engine() -> MetricsEngine:
    eng = MetricsEngine([QueueMetricsSpec("support")], timezone=TZ)
    for event in reference_log():
        eng.apply(event)
    return eng


def node(name: str, verb: str, period: tuple[float, float], **figures: Any) -> IvrNodeFigures:
    zero: dict[str, Any] = {"reached": 0, "options": {}, "by_speech": 0, "no_input": 0, "invalid_input": 0}
    zero |= {"hung_up": 0, "queued": {}, "ended": {}}
    return IvrNodeFigures(name, verb, period[0], period[1], **(zero | figures))


FIRST, SECOND = (at(9, 45), at(10, 0)), (at(10, 0), at(10, 15))
EXPECTED_TOTALS = [
    IvrTotals(*FIRST, calls=2, hung_up=1, queued={"support": 1}, ended={}),
    IvrTotals(*SECOND, calls=2, hung_up=0, queued={"support": 1}, ended={"hangup": 1}),
]
EXPECTED_NODES = [
    node(MENU, "menu", FIRST, reached=2, options={"1": 1, "2": 1}, by_speech=1, invalid_input=1),
    node(MENU, "menu", SECOND, reached=2, options={"2": 1}, no_input=1, ended={"hangup": 1}),
    node(BILLING, "collect", FIRST, reached=1, no_input=1, hung_up=1),
    node(BILLING, "collect", SECOND),
    node(SUPPORT, "queue", FIRST, reached=1, queued={"support": 1}),
    node(SUPPORT, "queue", SECOND, reached=1, queued={"support": 1}),
]


def test_given_the_reference_log_when_read_per_quarter_hour_then_each_figure_is_the_hand_computed() -> None:
    totals, nodes = engine().ivr_intervals(at(9, 50), at(10, 10), Granularity.MIN15)

    assert totals == EXPECTED_TOTALS
    assert nodes == EXPECTED_NODES


def test_given_the_reference_log_when_read_per_day_then_the_quarters_add_up() -> None:
    day = (at(0, 0), at(0, 0) + 86400)

    totals, nodes = engine().ivr_intervals(*day, Granularity.DAY)

    assert totals == [IvrTotals(*day, calls=4, hung_up=1, queued={"support": 2}, ended={"hangup": 1})]
    assert nodes == [
        node(MENU, "menu", day, reached=4, options={"1": 1, "2": 2}, by_speech=1, invalid_input=1, no_input=1,
             ended={"hangup": 1}),
        node(BILLING, "collect", day, reached=1, no_input=1, hung_up=1),
        node(SUPPORT, "queue", day, reached=2, queued={"support": 2}),
    ]  # fmt: skip


def test_given_a_range_without_ivr_calls_then_no_step_is_listed_and_totals_are_zero() -> None:
    totals, nodes = engine().ivr_intervals(at(11, 0), at(11, 30), Granularity.MIN30)

    assert totals == [IvrTotals(at(11, 0), at(11, 30), calls=0, hung_up=0, queued={}, ended={})]
    assert nodes == []


def test_given_the_routing_events_then_the_ivr_steps_leave_the_queue_figures_alone() -> None:
    figures = engine().queue_intervals("support", at(9, 45), at(10, 0), Granularity.MIN15)

    assert [(f.offered, f.abandoned) for f in figures] == [(1, 1)]


# --- over REST --------------------------------------------------------------------------------------


class _Reports:
    def __init__(self, client: TestClient[web.Request, web.Application], token: str) -> None:
        self.client, self.token = client, token

    async def get(self, query: str) -> tuple[int, bytes, str]:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.client.get(f"/api/v1/stats/ivr?{query}", headers=headers) as answer:
            return answer.status, await answer.read(), answer.content_type

    async def json(self, query: str) -> dict[str, Any]:
        status, body, _ = await self.get(query)
        assert status == 200, body
        answer: dict[str, Any] = json.loads(body)
        return answer

    async def csv(self, query: str) -> tuple[list[str], list[dict[str, str]]]:
        status, body, kind = await self.get(f"{query}&format=csv")
        assert status == 200 and kind == "text/csv", body
        reader = csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline=""))
        rows = list(reader)
        return list(reader.fieldnames or ()), rows


@pytest.fixture
async def reports() -> AsyncIterator[_Reports]:
    tokens = TokenService(secret=secrets.token_bytes(32), ttl_seconds=600)
    app = web.Application(middlewares=[error_middleware_for(stats_http.ERRORS)])
    app[TOKENS] = tokens
    eng = engine()
    for route in stats_http.routes(eng, queue_names={}, agent_names={}, clock=lambda: at(10, 10)):
        assert route.roles is not None
        app.router.add_route(route.method, route.path, guard(route.handler, route.roles))
    async with TestClient(TestServer(app)) as client:
        yield _Reports(client, tokens.issue(Principal("sam", "supervisor", "Sam")))


_WINDOW = "start=2026-01-15T09:50:00&end=2026-01-15T10:10:00&size=15"  # local (Europe/Paris)


async def test_given_a_supervisor_when_the_ivr_report_is_asked_as_json_then_it_holds_the_engine_figures(
    reports: _Reports,
) -> None:
    body = await reports.json(_WINDOW)

    assert body["timezone"] == TZ and body["size"] == "15"
    assert body["totals"] == [t.to_dict() for t in EXPECTED_TOTALS]
    assert body["nodes"] == [n.to_dict() for n in EXPECTED_NODES]


async def test_given_the_csv_download_when_read_back_with_the_csv_module_then_the_values_are_the_same(
    reports: _Reports,
) -> None:
    header, rows = await reports.csv(_WINDOW)

    assert header == [
        "node", "verb", "start", "end", "reached", "options.1", "options.2", "by_speech", "no_input",
        "invalid_input", "hung_up", "queued.support", "ended.hangup",
    ]  # fmt: skip
    assert len(rows) == len(EXPECTED_NODES)
    for row, expected in zip(rows, EXPECTED_NODES, strict=True):
        assert datetime.fromisoformat(row["start"]).timestamp() == expected.start
        assert datetime.fromisoformat(row["end"]).timestamp() == expected.end
        assert row["start"].endswith("+01:00")  # ISO, in the report's time zone
        assert (row["node"], row["verb"]) == (expected.node, expected.verb)
        for name in ("reached", "by_speech", "no_input", "invalid_input", "hung_up"):
            assert int(row[name]) == getattr(expected, name), name
        for name in ("options", "queued", "ended"):
            read = {k.split(".", 1)[1]: int(v) for k, v in row.items() if k.startswith(f"{name}.")}
            assert {k: v for k, v in read.items() if v} == getattr(expected, name), name


async def test_given_the_totals_csv_then_calls_and_ways_out_round_trip(reports: _Reports) -> None:
    header, rows = await reports.csv(f"{_WINDOW}&part=totals")

    assert header == ["start", "end", "calls", "hung_up", "queued.support", "ended.hangup"]
    read = [
        (int(r["calls"]), int(r["hung_up"]), int(r["queued.support"]), int(r["ended.hangup"])) for r in rows
    ]
    assert read == [(2, 1, 1, 0), (2, 0, 1, 1)]


async def test_given_no_ivr_call_in_the_range_then_the_csv_still_has_its_header(reports: _Reports) -> None:
    header, rows = await reports.csv("start=2026-01-16&size=day")

    assert rows == []
    assert header == [
        "node",
        "verb",
        "start",
        "end",
        "reached",
        "by_speech",
        "no_input",
        "invalid_input",
        "hung_up",
    ]


@pytest.mark.parametrize(
    ("query", "field"), [("size=7", "size"), ("part=calls&format=csv", "part"), ("start=yesterday", "start")]
)
async def test_given_a_bad_query_then_400_names_the_field(reports: _Reports, query: str, field: str) -> None:
    status, body, _ = await reports.get(query)

    assert status == 400
    assert field in body.decode()


async def test_given_an_agent_then_the_ivr_report_is_refused(reports: _Reports) -> None:
    tokens: TokenService = reports.client.app[TOKENS]
    headers = {"Authorization": f"Bearer {tokens.issue(Principal('alice', 'agent', 'Alice'))}"}

    async with reports.client.get("/api/v1/stats/ivr", headers=headers) as answer:
        assert answer.status == 403
