"""REST for statistics: today's figures per queue and agent, and interval reports (JSON or CSV), all read
from the one metrics engine."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, get_origin

from aiohttp import web

from gateway.acd import Channel
from gateway.auth import principal_of
from gateway.web import ApiRoute, BadRequest, ErrorMapping, Forbidden, json_response

from ._calendar import Granularity
from ._engine import MetricsEngine
from ._figures import AgentFigures, QueueFigures
from .errors import BadPeriod, UnknownScope
from .schemas import (
    AgentStatsList,
    AgentStatsOut,
    IntervalList,
    IvrNodeOut,
    IvrReport,
    IvrTotalsOut,
    QueueStatsList,
    QueueStatsOut,
)

__all__ = ["ERRORS", "routes"]

ALL = ("agent", "supervisor", "admin", "integration")
_SCOPES = ("queue", "agent", "channel")

ERRORS: tuple[ErrorMapping[Any], ...] = (
    ErrorMapping(UnknownScope, 404, "not_found", lambda e: {e.kind: e.scope_id}),
    ErrorMapping(BadPeriod, 400, "invalid_query", lambda e: {"field": e.field, "problem": e.problem}),
)
"""How the engine's errors leave the API (given to the error middleware by the composition root)."""


def _bad(field: str, problem: str) -> BadRequest:
    return BadRequest(
        f"{field}: {problem}", error_id="invalid_query", details={"field": field, "problem": problem}
    )


def _queue_out(f: QueueFigures, names: Mapping[str, str]) -> QueueStatsOut:
    return QueueStatsOut(name=names.get(f.queue, f.queue), **f.to_dict())


def _agent_out(f: AgentFigures, names: Mapping[str, str]) -> AgentStatsOut:
    return AgentStatsOut(name=names.get(f.agent, f.agent), **f.to_dict())


class _Range:
    """A report request's period, interval size and format, read once (400 naming the field otherwise)."""

    def __init__(self, query: Mapping[str, str], engine: MetricsEngine, now: float) -> None:
        try:
            self.size = Granularity(query.get("size", "15"))
        except ValueError:
            raise _bad("size", "must be one of 15, 30, 60, day, week") from None
        self.format = query.get("format", "json")
        if self.format not in ("json", "csv"):
            raise _bad("format", "must be json or csv")
        today = engine.today(now)
        self.start = _instant(query.get("start"), "start", engine, today[0])
        self.end = _instant(query.get("end"), "end", engine, engine.today(self.start)[1])


class _Query(_Range):
    """An intervals request: the range, and the scope and id it is about."""

    def __init__(self, query: Mapping[str, str], engine: MetricsEngine, now: float) -> None:
        self.scope = query.get("scope", "queue")
        if self.scope not in _SCOPES:
            raise _bad("scope", f"must be one of {', '.join(_SCOPES)}")
        self.id = query.get("id")
        super().__init__(query, engine, now)


def _instant(raw: str | None, field: str, engine: MetricsEngine, default: float) -> float:
    """An ISO date (its local midnight) or date-time (local time unless it names its offset)."""
    if raw is None:
        return default
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, tzinfo=engine.tz).timestamp()
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise _bad(field, f"{raw!r} is not an ISO date or date-time") from None
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=engine.tz)).timestamp()


def routes(
    engine: MetricsEngine,
    *,
    queue_names: Mapping[str, str],
    agent_names: Mapping[str, str],
    clock: Callable[[], float] = time.time,
) -> list[ApiRoute]:
    tz = str(engine.tz)

    def visible_agents(request: web.Request, wanted: str | None) -> list[str]:
        principal = principal_of(request)
        if principal.role == "agent":
            if wanted is not None and wanted != principal.user_id:
                raise Forbidden(
                    "an agent may see only its own statistics",
                    error_id="not_your_statistics",
                    details={"agent": wanted},
                )
            return [principal.user_id]
        return [wanted] if wanted is not None else engine.agent_ids()

    async def queue_stats(request: web.Request) -> web.StreamResponse:
        now, wanted = clock(), request.query.get("queue")
        ids = [wanted] if wanted is not None else engine.queue_ids()
        items = [_queue_out(engine.queue(q, now), queue_names) for q in ids]
        return json_response(QueueStatsList(at=now, timezone=tz, items=items))

    async def agent_stats(request: web.Request) -> web.StreamResponse:
        now = clock()
        ids = visible_agents(request, request.query.get("agent"))
        items = [_agent_out(engine.agent(a, now), agent_names) for a in ids]
        return json_response(AgentStatsList(at=now, timezone=tz, items=items))

    async def intervals(request: web.Request) -> web.StreamResponse:
        now = clock()
        q = _Query(request.query, engine, now)
        out = IntervalList(scope=q.scope, size=str(q.size), timezone=tz, start=q.start, end=q.end)
        if q.scope == "agent":
            for agent_id in visible_agents(request, q.id):
                found = engine.agent_intervals(agent_id, q.start, q.end, q.size, now)
                out.agents.extend(_agent_out(f, agent_names) for f in found)
        elif q.scope == "queue":
            for queue_id in [q.id] if q.id is not None else engine.queue_ids():
                found_q = engine.queue_intervals(queue_id, q.start, q.end, q.size)
                out.queues.extend(_queue_out(f, queue_names) for f in found_q)
        else:
            channels = [str(c) for c in Channel]
            if q.id is not None and q.id not in channels:
                raise _bad("id", f"no channel {q.id!r}; use one of {', '.join(channels)}")
            for channel in [q.id] if q.id is not None else channels:
                found_c = engine.channel_intervals(channel, q.start, q.end, q.size)
                out.queues.extend(_queue_out(f, {}) for f in found_c)
        if q.format == "csv":
            return _csv(out, engine)
        return json_response(out)

    async def ivr(request: web.Request) -> web.StreamResponse:
        r = _Range(request.query, engine, clock())
        part = request.query.get("part", "nodes")
        if part not in ("nodes", "totals"):
            raise _bad("part", "must be nodes or totals")
        totals, nodes = engine.ivr_intervals(r.start, r.end, r.size)
        out = IvrReport(
            size=str(r.size),
            timezone=tz,
            start=r.start,
            end=r.end,
            totals=[IvrTotalsOut(**t.to_dict()) for t in totals],
            nodes=[IvrNodeOut(**n.to_dict()) for n in nodes],
        )
        if r.format == "csv":
            rows = [row.model_dump() for row in (out.nodes if part == "nodes" else out.totals)]
            model = IvrNodeOut if part == "nodes" else IvrTotalsOut
            columns = [k for k, f in model.model_fields.items() if get_origin(f.annotation) is not dict]
            name = f"helpline-ivr-{part}-{out.size}.csv"
            return _csv_rows(rows, engine, name, missing=0, columns=columns)
        return json_response(out)

    return [
        ApiRoute(
            "GET",
            "/api/v1/stats/queues",
            queue_stats,
            "Today's figures per queue (service level, ASA, AHT, abandonment, waiting, agents by state)",
            ALL,
            response=QueueStatsList,
            errors=(404,),
            query=(("queue", "only this queue"),),
        ),
        ApiRoute(
            "GET",
            "/api/v1/stats/agents",
            agent_stats,
            "Today's figures per agent (state, handled, AHT, occupancy, time per state; agents: their own)",
            ALL,
            response=AgentStatsList,
            errors=(403, 404),
            query=(("agent", "only this agent"),),
        ),
        ApiRoute(
            "GET",
            "/api/v1/stats/intervals",
            intervals,
            "Figures per interval over a date range, per queue, agent or channel, as JSON or CSV",
            ALL,
            response=IntervalList,
            errors=(400, 403, 404),
            query=(
                ("scope", "queue (default), agent or channel"),
                ("id", "one queue, agent or channel (default: all)"),
                ("start", "ISO date or date-time (default: today's start, in the configured time zone)"),
                ("end", "ISO date or date-time (default: the end of start's day)"),
                ("size", "15 (default), 30, 60, day or week"),
                ("format", "json (default) or csv"),
            ),
        ),
        ApiRoute(
            "GET",
            "/api/v1/stats/ivr",
            ivr,
            "The IVR report per interval over a date range: calls into the IVR and how they left it, and per "
            "step of the flows how often it was reached, the menu options chosen (by keypad or voice), no "
            "input, invalid input, callers who hung up there and who left there for a queue; JSON or CSV",
            ("supervisor", "admin", "integration"),
            response=IvrReport,
            errors=(400, 403),
            query=(
                ("start", "ISO date or date-time (default: today's start, in the configured time zone)"),
                ("end", "ISO date or date-time (default: the end of start's day)"),
                ("size", "15 (default), 30, 60, day or week"),
                ("format", "json (default) or csv"),
                ("part", "csv only: nodes (default, one row per step and interval) or totals"),
            ),
        ),
    ]


def _csv(out: IntervalList, engine: MetricsEngine) -> web.Response:
    rows: Sequence[dict[str, Any]] = [
        r.model_dump() for r in (out.agents if out.scope == "agent" else out.queues)
    ]
    return _csv_rows(rows, engine, f"helpline-{out.scope}-{out.size}.csv")


def _csv_rows(
    rows: Sequence[Mapping[str, Any]],
    engine: MetricsEngine,
    name: str,
    *,
    missing: object = "",
    columns: Sequence[str] = (),
) -> web.Response:
    """`missing`: what a row shows in a column only others have (an option nobody chose then: 0); `columns`:
    the header when there is no row."""
    flat = [_flatten(row, engine) for row in rows]
    header = _header(rows) if rows else list(columns)
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n", restval=missing)
    writer.writeheader()
    writer.writerows(flat)
    return web.Response(
        body=("\ufeff" + buffer.getvalue()).encode("utf-8"),  # the BOM: spreadsheets then read UTF-8
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _header(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each field in order; a mapping's keys, from every row, sorted in its place (`options.1`, ...)."""
    header: list[str] = []
    for key, value in rows[0].items():
        if isinstance(value, dict):
            header.extend(f"{key}.{k}" for k in sorted({k for row in rows for k in row[key]}))
        else:
            header.append(key)
    return header


def _flatten(row: Mapping[str, Any], engine: MetricsEngine) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if key in ("start", "end"):
            flat[key] = datetime.fromtimestamp(value, engine.tz).isoformat()
        elif isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        elif isinstance(value, list):
            flat[key] = " ".join(value)
        else:
            flat[key] = "" if value is None else value
    return flat
