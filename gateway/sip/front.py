"""The SIP front door of one gateway: media workers, with Kamailio in front when it is installed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from gateway.sip._protocol import Event, Hangup, Incoming
from gateway.sip._supervisor import WorkerPool
from gateway.sip._worker_log import pjlib_log_args
from gateway.sip.kamailio import (
    KamailioHealth,
    KamailioSupervisor,
    SipAddress,
    SipFrontPlan,
    SipLimits,
    SipTransports,
    WorkerAddress,
    find_kamailio,
    plan_sip_front,
    render_config,
)

__all__ = ["CallHandler", "SipFront", "SipHealth", "callers_per_worker"]

logger = logging.getLogger("helpline.sip")


class CallHandler(Protocol):
    """Who handles what the media workers report (the voice service)."""

    async def on_event(self, worker_id: int, event: Event) -> None: ...

    async def on_worker_lost(self, worker_id: int, call_ids: tuple[str, ...]) -> None: ...


class _RefuseCalls:
    """Until a voice service is attached, calls are refused politely rather than left ringing."""

    def __init__(self, front: SipFront) -> None:
        self._front = front

    async def on_event(self, worker_id: int, event: Event) -> None:
        if isinstance(event, Incoming):
            logger.warning(
                "call %s from %s refused: no IVR flow is configured", event.call_id, event.from_uri
            )
            await self._front.pool.send(
                worker_id, Hangup(call_id=event.call_id, code=480, reason="No IVR flow configured")
            )

    async def on_worker_lost(self, worker_id: int, call_ids: tuple[str, ...]) -> None:
        if call_ids:
            logger.error(
                "media worker %d died with %d call(s): %s", worker_id, len(call_ids), ", ".join(call_ids)
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class SipHealth:
    """Whether calls can work: at least one media worker ready, and Kamailio answering when it is in front."""

    workers_ready: int
    workers_total: int
    kamailio: KamailioHealth | None
    """None when no Kamailio runs (a single worker on the SIP port)."""

    @property
    def ok(self) -> bool:
        kamailio_ok = self.kamailio is None or self.kamailio.answers
        return kamailio_ok and self.workers_ready > 0


class SipFront:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        domain: str,
        workers: int,
        agents: Mapping[str, str],
        runtime_dir: Path,
        limits: SipLimits | None = None,
        transports: SipTransports | None = None,
    ) -> None:
        self._host, self._port, self._domain = host, port, domain
        self._limits = limits or SipLimits()
        self._transports = transports or SipTransports()
        self._workers = workers
        self._agents = dict(agents)
        self._runtime_dir = runtime_dir
        self._handler: CallHandler = _RefuseCalls(self)
        self._pool: WorkerPool | None = None
        self._kamailio: KamailioSupervisor | None = None
        self.plan: SipFrontPlan | None = None

    def attach(self, handler: CallHandler) -> None:
        self._handler = handler

    @property
    def pool(self) -> WorkerPool:
        if self._pool is None:
            raise RuntimeError("the SIP front is not started")
        return self._pool

    def agent_uri(self, sip_user: str) -> str:
        """Where a worker calls an agent's phone: through Kamailio's registrar, or straight to the user."""
        return f"sip:{sip_user}@{self._host}:{self._port}"

    def worker_uri(self, user: str) -> str:
        """A URI to the first media worker, not via Kamailio (which sends workers' calls to agents only)."""
        if self.plan is None:
            raise RuntimeError("the SIP front is not started")
        return f"sip:{user}@{self.plan.worker_host}:{self.plan.worker_base_port}"

    async def start(self, *, before_calls: Callable[[WorkerPool], Awaitable[None]] | None = None) -> None:
        """Start the workers, then `before_calls` (attach the voice service), then Kamailio."""
        binary = await asyncio.to_thread(find_kamailio)
        plan = plan_sip_front(
            kamailio=binary, sip_port=self._port, workers=self._workers, sip_host=self._host
        )
        self.plan = plan
        if plan.warning:
            logger.warning("%s", plan.warning)
        self._pool = WorkerPool(
            size=plan.worker_count,
            base_port=plan.worker_base_port,
            host=plan.worker_host,
            on_event=self._on_event,
            on_worker_lost=self._on_worker_lost,
            worker_args=pjlib_log_args(),
        )
        await self._pool.start()
        if before_calls is not None:
            await before_calls(self._pool)
        if plan.kamailio is not None:
            await self._start_kamailio(plan, plan.kamailio)
        logger.info(
            "SIP front on udp:%s:%d: %d media worker(s)%s",
            plan.sip_host,
            plan.sip_port,
            plan.worker_count,
            " behind Kamailio" if plan.kamailio else "",
        )

    async def _start_kamailio(self, plan: SipFrontPlan, binary: str) -> None:
        workers = [
            WorkerAddress(host=plan.worker_host, port=s.port, max_calls=callers_per_worker(s.limit))
            for s in self.pool.status()
        ]
        limits = sorted({s.limit for s in self.pool.status()})
        logger.info(
            "media workers carry %s call(s) each; Kamailio sends each at most %s caller(s)",
            "/".join(map(str, limits)),
            "/".join(str(callers_per_worker(limit)) for limit in limits),
        )
        files = render_config(
            listen=SipAddress(plan.sip_host, plan.sip_port),
            workers=workers,
            agents=self._agents,
            runtime_dir=self._runtime_dir,
            domain=self._domain,
            limits=self._limits,
            transports=self._transports,
            worker_private_host=self.pool.private_host,
        )
        self._kamailio = KamailioSupervisor(files, binary=binary)
        await self._kamailio.start()

    async def health(self) -> SipHealth:
        statuses = self._pool.status() if self._pool is not None else ()
        return SipHealth(
            workers_ready=sum(1 for status in statuses if status.ready),
            workers_total=len(statuses),
            kamailio=await self._kamailio.health() if self._kamailio is not None else None,
        )

    async def _on_event(self, worker_id: int, event: Event) -> None:
        await self._handler.on_event(worker_id, event)

    async def _on_worker_lost(self, worker_id: int, call_ids: tuple[str, ...]) -> None:
        if call_ids and self._kamailio is not None and self.plan is not None:
            port = self.plan.worker_base_port + worker_id
            ended = await self._kamailio.process.end_calls_through(SipAddress(self.plan.worker_host, port))
            logger.info("media worker %d died: Kamailio sent BYE on %d of its calls", worker_id, ended)
        await self._handler.on_worker_lost(worker_id, call_ids)

    async def stop(self) -> None:
        if self._kamailio is not None:
            await self._kamailio.stop()
            self._kamailio = None
        if self._pool is not None:
            await self._pool.stop()
            self._pool = None


def callers_per_worker(limit: int) -> int:
    """How many inbound calls Kamailio may give a worker that carries `limit` calls.

    A caller's agent leg (and a transfer's next leg) is dialled from the caller's own worker, so half the
    worker's calls are kept for them: a worker full of callers could ring no agent.
    """
    return max(limit // 2, 1)
