"""Prometheus metrics for one gateway process, kept in the app's own registry."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["Metrics"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.routing_events = Counter(
            "helpline_routing_events", "Routing events by type", ["type"], registry=self.registry
        )
        self.queue_waiting = Gauge(
            "helpline_queue_waiting", "Interactions waiting per queue", ["queue"], registry=self.registry
        )
        self.agents = Gauge("helpline_agents", "Agents per presence state", ["state"], registry=self.registry)
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
        return web.Response(
            body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
