"""Prometheus metrics for one gateway process, kept in the app's own registry.

Queue and agent series are read from the one metrics engine (`gateway.analytics`) when scraped, so they
never disagree with the REST statistics or the console; media-worker calls and the CRM outbox depth are
read from their owners then too. The process and Python collectors are registered as well.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, Protocol

from aiohttp import web
from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from gateway.analytics import MetricsEngine, QueueFigures

__all__ = ["Metrics", "WorkerLoad"]

logger = logging.getLogger("helpline.metrics")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
OutboxDepth = Callable[[], Awaitable[int]]
_AGENT_STATES = ("offline", "available", "ringing", "busy", "wrap_up", "not_ready")


class WorkerLoad(Protocol):
    """What a media worker says of its load (`gateway.sip.WorkerStatus` fits)."""

    @property
    def worker_id(self) -> int: ...

    @property
    def active(self) -> int: ...

    @property
    def limit(self) -> int: ...


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._process = CollectorRegistry()  # reads /proc: scraped off the event loop
        ProcessCollector(registry=self._process)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.routing_events = Counter(
            "helpline_routing_events", "Routing events by type", ["type"], registry=self.registry
        )
        self.storage_dead_letters = Counter(
            "helpline_storage_dead_letters",
            "Writes the database refused for their data, kept in the dead_letters table",
            ["kind"],
            registry=self.registry,
        )
        self.http_requests = Counter(
            "helpline_http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.http_seconds = Histogram(
            "helpline_http_request_seconds", "HTTP request latency", ["route"], registry=self.registry
        )
        self._live = _LiveCollector()
        self.registry.register(self._live)
        self._outbox: OutboxDepth | None = None

    def watch_engine(self, engine: MetricsEngine, *, clock: Callable[[], float] = time.time) -> None:
        """Queue and agent series from `engine`, read at each scrape."""
        self._live.engine, self._live.clock = engine, clock

    def watch_media_workers(self, status: Callable[[], Sequence[WorkerLoad]]) -> None:
        self._live.workers = status

    def watch_outbox(self, depth: OutboxDepth) -> None:
        """The CRM outbox's pending entries, asked (from the database) at each scrape."""
        self._outbox = depth

    def middleware(self) -> Any:  # aiohttp's Middleware protocol is not exported for annotations
        @web.middleware
        async def measure(request: web.Request, handler: Handler) -> web.StreamResponse:
            started = time.perf_counter()
            response = await handler(request)
            info = request.match_info.route.resource
            route = info.canonical if info is not None else "unmatched"
            self.http_requests.labels(request.method, route, str(response.status)).inc()
            self.http_seconds.labels(route).observe(time.perf_counter() - started)
            return response

        return measure

    async def handle(self, request: web.Request) -> web.Response:
        self._live.outbox = await self._outbox_depth()
        process = await asyncio.get_running_loop().run_in_executor(None, generate_latest, self._process)
        return web.Response(
            body=generate_latest(self.registry) + process, headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def _outbox_depth(self) -> int | None:
        if self._outbox is None:
            return None
        try:
            return await self._outbox()
        except Exception:
            logger.exception("could not read the CRM outbox depth; the series is left out of this scrape")
            return None


class _LiveCollector(Collector):
    """The series whose values are read from their owner at scrape time."""

    def __init__(self) -> None:
        self.engine: MetricsEngine | None = None
        self.clock: Callable[[], float] = time.time
        self.workers: Callable[[], Sequence[WorkerLoad]] | None = None
        self.outbox: int | None = None

    def collect(self) -> Iterator[Metric]:
        if self.engine is not None:
            yield from _engine_series(self.engine, self.clock())
        if self.workers is not None:
            calls = GaugeMetricFamily(
                "helpline_media_worker_calls", "Calls up per media worker", labels=["worker"]
            )
            limit = GaugeMetricFamily(
                "helpline_media_worker_call_limit", "Calls a media worker takes at most", labels=["worker"]
            )
            for worker in self.workers():
                calls.add_metric([str(worker.worker_id)], worker.active)
                limit.add_metric([str(worker.worker_id)], worker.limit)
            yield from (calls, limit)
        if self.outbox is not None:
            yield GaugeMetricFamily(
                "helpline_crm_outbox_pending",
                "CRM writes and webhooks waiting in the outbox",
                value=self.outbox,
            )


_QUEUE_SERIES: tuple[tuple[str, str, Callable[[QueueFigures], float | int | None]], ...] = (
    ("waiting", "Interactions waiting (or ringing) in the queue now", lambda f: f.waiting),
    (
        "oldest_wait_seconds",
        "How long the oldest waiting interaction has waited",
        lambda f: f.oldest_wait_seconds,
    ),
    ("offered_today", "Interactions that entered the queue today", lambda f: f.offered),
    ("answered_today", "Interactions answered today", lambda f: f.answered),
    ("abandoned_today", "Interactions abandoned today", lambda f: f.abandoned),
    (
        "service_level_percent",
        "Service level today, by the queue's definition",
        lambda f: f.service_level_percent,
    ),
    (
        "service_level_target_percent",
        "The queue's service-level target",
        lambda f: f.service_level_target_percent,
    ),
    ("asa_seconds", "Average speed of answer today", lambda f: f.asa_seconds),
    ("aht_seconds", "Average handle time today (talk + hold + wrap-up)", lambda f: f.aht_seconds),
    ("abandonment_percent", "Abandoned over answered + abandoned today", lambda f: f.abandonment_percent),
)


def _engine_series(engine: MetricsEngine, now: float) -> Iterator[Metric]:
    queues = [engine.queue(q, now) for q in engine.queue_ids()]
    for name, doc, read in _QUEUE_SERIES:
        family = GaugeMetricFamily(f"helpline_queue_{name}", doc, labels=["queue"])
        for figures in queues:
            value = read(figures)
            if value is not None:  # no figure yet today (e.g. no answer to average): no sample
                family.add_metric([figures.queue], float(value))
        yield family
    by_queue = GaugeMetricFamily(
        "helpline_queue_agents", "Agents who can take the queue's work, by state", labels=["queue", "state"]
    )
    for figures in queues:
        for state in _AGENT_STATES:
            by_queue.add_metric([figures.queue, state], (figures.agents_by_state or {}).get(state, 0))
    yield by_queue
    states = dict.fromkeys(_AGENT_STATES, 0)
    for agent_id in engine.agent_ids():
        state = engine.agent_state(agent_id)
        states[state] = states.get(state, 0) + 1
    agents = GaugeMetricFamily("helpline_agents", "Agents by state", labels=["state"])
    for state, count in states.items():
        agents.add_metric([state], count)
    yield agents
