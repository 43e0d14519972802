"""Interval reports on the reference log, read the way a user reads them (REST, as JSON and as CSV), equal
the engine's figures, which `test_reference_log` checks against the hand-computed ones."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.analytics import AgentFigures, Granularity, MetricsEngine, QueueFigures
from gateway.analytics import http as stats_http
from gateway.auth import TOKENS, Principal, TokenService, guard
from gateway.web import error_middleware_for

from .reference_log import NOW, at
from .test_reference_log import engine

_LIVE = {"waiting", "oldest_wait_seconds", "agents_by_state", "state", "presence", "presence_reason", "since"}
_LIVE |= {"work"}
_WINDOW = "start=2026-01-15T09:45:00&end=2026-01-15T10:15:00"  # local (Europe/Paris): 09:45 to 10:15


class _Reports:
    def __init__(self, client: TestClient[web.Request, web.Application], token: str) -> None:
        self.client, self.token = client, token

    async def json(self, query: str) -> dict[str, Any]:
        answer = await self.client.get(f"/api/v1/stats/intervals?{query}", headers=self._auth())
        assert answer.status == 200, await answer.text()
        body: dict[str, Any] = await answer.json()
        return body

    async def csv(self, query: str) -> list[dict[str, str]]:
        answer = await self.client.get(f"/api/v1/stats/intervals?{query}&format=csv", headers=self._auth())
        assert answer.status == 200 and answer.content_type == "text/csv", await answer.text()
        text = (await answer.read()).decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text, newline="")))

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def eng() -> MetricsEngine:
    return engine()


@pytest.fixture
async def reports(eng: MetricsEngine) -> AsyncIterator[_Reports]:
    tokens = TokenService(secret=secrets.token_bytes(32), ttl_seconds=600)
    app = web.Application(middlewares=[error_middleware_for(stats_http.ERRORS)])
    app[TOKENS] = tokens
    names = {"support": "Support"}
    for route in stats_http.routes(eng, queue_names=names, agent_names={"alice": "Alice"}, clock=lambda: NOW):
        assert route.roles is not None
        app.router.add_route(route.method, route.path, guard(route.handler, route.roles))
    async with TestClient(TestServer(app)) as client:
        yield _Reports(client, tokens.issue(Principal("sam", "supervisor", "Sam")))


def _figures(f: QueueFigures | AgentFigures) -> dict[str, Any]:
    return {k: v for k, v in f.to_dict().items() if k not in _LIVE}


def _from_csv(row: dict[str, str], like: dict[str, Any]) -> dict[str, Any]:
    """A CSV row read back into the engine's types (an empty cell is a figure that is undefined)."""
    out: dict[str, Any] = {}
    for key, value in like.items():
        if isinstance(value, dict):
            prefix = f"{key}."
            out[key] = {k[len(prefix) :]: float(v) for k, v in row.items() if k.startswith(prefix) and v}
        elif key in ("start", "end"):
            out[key] = value  # compared separately, as ISO text
        elif row[key] == "":
            out[key] = None
        elif isinstance(value, bool):
            out[key] = row[key] == "True"
        elif isinstance(value, int | float):
            out[key] = float(row[key])  # equal to an int figure too (a threshold given as 20 reads 20.0)
        else:
            out[key] = row[key]
    return out


@pytest.mark.parametrize("size", ["15", "30", "60", "day"])
async def test_given_the_reference_log_when_queue_reports_are_read_then_they_are_the_engines_figures(
    reports: _Reports, eng: MetricsEngine, size: str
) -> None:
    expected = [_figures(f) for f in eng.queue_intervals("support", at(-300), at(1500), Granularity(size))]
    body = await reports.json(f"scope=queue&id=support&size={size}&{_WINDOW}")
    got = [{k: v for k, v in item.items() if k not in _LIVE | {"name"}} for item in body["queues"]]
    assert got == expected
    rows = await reports.csv(f"scope=queue&id=support&size={size}&{_WINDOW}")
    assert [_from_csv(r, e) for r, e in zip(rows, expected, strict=True)] == expected
    assert [r["name"] for r in rows] == ["Support"] * len(expected)


async def test_given_the_reference_log_when_15_minute_queue_reports_are_read_then_10_00_splits_them(
    reports: _Reports,
) -> None:
    rows = await reports.csv(f"scope=queue&id=support&size=15&{_WINDOW}")
    assert [r["start"] for r in rows] == ["2026-01-15T09:45:00+01:00", "2026-01-15T10:00:00+01:00"]
    assert [(r["offered"], r["answered"], r["abandoned"], r["handled"]) for r in rows] == [
        ("4", "2", "2", "1"),
        ("2", "0", "1", "1"),
    ]
    assert [(r["asa_seconds"], r["aht_seconds"], r["service_level_percent"]) for r in rows] == [
        ("17.0", "70.0", "25.0"),
        ("", "605.0", "0.0"),
    ]


async def test_given_the_reference_log_when_the_day_report_is_read_then_it_is_todays_figures(
    reports: _Reports, eng: MetricsEngine
) -> None:
    body = await reports.json("scope=queue&id=support&size=day")  # the default range: today
    (day,) = body["queues"]
    assert {k: v for k, v in day.items() if k not in _LIVE | {"name"}} == _figures(eng.queue("support", NOW))
    agents = await reports.json("scope=agent&size=day")
    assert [{k: v for k, v in a.items() if k not in _LIVE | {"name"}} for a in agents["agents"]] == [
        _figures(eng.agent(a, NOW)) for a in ("alice", "bob")
    ]


@pytest.mark.parametrize("agent", ["alice", "bob"])
async def test_given_the_reference_log_when_agent_reports_are_read_then_they_are_the_engines_figures(
    reports: _Reports, eng: MetricsEngine, agent: str
) -> None:
    found = eng.agent_intervals(agent, at(-300), at(1500), Granularity.MIN15, NOW)
    expected = [_figures(f) for f in found]
    body = await reports.json(f"scope=agent&id={agent}&size=15&{_WINDOW}")
    assert [{k: v for k, v in a.items() if k not in _LIVE | {"name"}} for a in body["agents"]] == expected
    rows = await reports.csv(f"scope=agent&id={agent}&size=15&{_WINDOW}")
    assert [_from_csv(r, e) for r, e in zip(rows, expected, strict=True)] == expected


async def test_given_the_reference_log_when_the_channel_report_is_read_then_it_is_the_engines(
    reports: _Reports, eng: MetricsEngine
) -> None:
    expected = [_figures(f) for f in eng.channel_intervals("voice", at(-300), at(1500), Granularity.MIN60)]
    rows = await reports.csv(f"scope=channel&id=voice&size=60&{_WINDOW}")
    assert [_from_csv(r, e) for r, e in zip(rows, expected, strict=True)] == expected
    assert (rows[0]["offered"], rows[0]["answered"]) == ("4", "2")  # 09:00-10:00 local: c1..c4
