"""The routing core wired to the world: every batch of routing events is stored in the event log,
folded into interaction records and statistics, counted in metrics, and pushed to the right sockets.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from gateway.acd import (
    AgentView,
    Event,
    EventType,
    InteractionView,
    NewInteraction,
    Presence,
    Router,
    RoutingError,
)
from gateway.acd.service import RoutingService
from gateway.acd.specs import SkillRequirement
from gateway.config import Config, agent_specs, queue_specs
from gateway.logs import bind_interaction
from gateway.metrics import Metrics
from gateway.realtime import RealtimeServer
from gateway.routing._pops import ScreenPops, activity_for
from gateway.routing._projection import InteractionProjection, StatsProjection
from gateway.routing.access import handling_agent
from gateway.routing.schemas import InteractionIn
from gateway.storage import Database, EventRecord

__all__ = ["RoutingHub"]

logger = logging.getLogger("helpline.acd")

EventListener = Callable[[Sequence[Event]], Awaitable[None]]

# Events an agent's own socket hears about, by event type.
_AGENT_EVENTS = {
    EventType.OFFERED: "offer",
    EventType.ASSIGNED: "assigned",
    EventType.TIMED_OUT: "offer_ended",
    EventType.OFFER_REVOKED: "offer_ended",
    EventType.REJECTED: "offer_ended",
    EventType.ENDED: "ended",
    EventType.PRESENCE_CHANGED: "presence",
    EventType.WRAP_UP_ENDED: "presence",
}


# Interactions that leave without reaching an agent: their pending CRM lookups are dropped.
_NOT_SERVED = (EventType.ABANDONED, EventType.EXITED, EventType.REFUSED)


def _record(event: Event) -> EventRecord:
    return EventRecord(
        seq=event.seq,
        type=str(event.type),
        at=datetime.fromtimestamp(event.at, tz=UTC),
        interaction_id=event.interaction_id,
        agent_id=event.agent_id,
        payload=dict(event.data),
    )


def _event(record: EventRecord) -> Event:
    return Event.from_dict(
        {
            "seq": record.seq,
            "type": record.type,
            "at": record.at.timestamp(),
            "interaction_id": record.interaction_id,
            "agent_id": record.agent_id,
            "data": record.payload,
        }
    )


class RoutingHub:
    def __init__(self, *, config: Config, database: Database, metrics: Metrics) -> None:
        self._config = config
        self._db = database
        self._metrics = metrics
        self._queues = queue_specs(config)
        self._agents = agent_specs(config)
        self._realtime: RealtimeServer | None = None
        self._interactions = InteractionProjection()
        self._stats = StatsProjection(thresholds={q.id: q.service_level_seconds for q in self._queues})
        self._service: RoutingService | None = None
        self._presence_since: dict[str, float] = {}
        self._listeners: list[EventListener] = []
        self._pops: ScreenPops | None = None
        self._late_pops: set[asyncio.Task[None]] = set()
        self._started_at = time.time()

    def attach_realtime(self, realtime: RealtimeServer) -> None:
        self._realtime = realtime

    def attach_pops(self, pops: ScreenPops) -> None:
        self._pops = pops

    def subscribe(self, listener: EventListener) -> None:
        """`listener` receives every batch of routing events after it is stored (e.g. the voice service)."""
        self._listeners.append(listener)

    @property
    def router(self) -> Router:
        if self._service is None:
            raise RuntimeError("the routing hub is not started")
        return self._service.router

    async def start(self) -> None:
        history = [_event(r) for r in await self._db.events_since(0)]
        router = Router.replay(self._queues, self._agents, history)
        for event in history:
            if event.type in (EventType.PRESENCE_CHANGED, EventType.WRAP_UP_ENDED) and event.agent_id:
                self._presence_since[event.agent_id] = event.at
            self._interactions.apply(event)
            self._stats.apply(event)
        self._service = RoutingService(router, clock=time.time, sink=self._publish)
        await self._service.start()
        self._refresh_gauges()
        logger.info(
            "routing started: %d agents, %d queues, %d events replayed",
            len(self._agents),
            len(self._queues),
            len(history),
        )

    async def stop(self) -> None:
        for task in list(self._late_pops):
            task.cancel()
        if self._late_pops:
            await asyncio.gather(*self._late_pops, return_exceptions=True)
        if self._service is not None:
            await self._service.stop()

    # -- the event stream ------------------------------------------------------------------------------

    async def _publish(self, events: Sequence[Event]) -> None:
        if not events:
            return
        await self._db.append_events([_record(e) for e in events])
        for event in events:
            with bind_interaction(event.interaction_id):
                await self._fold(event)
        self._refresh_gauges()
        for listener in self._listeners:
            try:
                await listener(events)
            except Exception:
                logger.exception("routing event listener %r failed", listener)

    async def _fold(self, event: Event) -> None:
        self._metrics.routing_events.labels(str(event.type)).inc()
        self._stats.apply(event)
        changed = self._interactions.apply(event)
        if changed is not None:
            await self._db.save_interaction(changed)
        if event.type in (EventType.PRESENCE_CHANGED, EventType.WRAP_UP_ENDED) and event.agent_id is not None:
            self._presence_since[event.agent_id] = event.at
        if event.type in _NOT_SERVED and self._pops is not None and event.interaction_id is not None:
            self._pops.forget(event.interaction_id)
        if event.type is EventType.PRESENCE_CHANGED and event.agent_id is not None:
            await self._record_presence(event)
        logger.debug("event %d %s agent=%s", event.seq, event.type, event.agent_id)
        await self._push(event)

    async def _record_presence(self, event: Event) -> None:
        presence = event.data.get("presence")
        state = presence.get("kind") if isinstance(presence, dict) else None
        reason = presence.get("reason") if isinstance(presence, dict) else None
        await self._db.record_presence(
            event.agent_id or "",
            str(state or "unknown"),
            reason if isinstance(reason, str) else None,
            datetime.fromtimestamp(event.at, tz=UTC),
        )

    def presence_since(self, agent_id: str) -> float:
        return self._presence_since.get(agent_id, self._started_at)

    async def _push(self, event: Event) -> None:
        if self._realtime is None:
            return
        payload = event.to_dict()
        await self._realtime.to_supervisors("event", payload)
        name = _AGENT_EVENTS.get(event.type)
        if name is None or event.agent_id is None:
            return
        if event.type is EventType.OFFERED and event.interaction_id is not None:
            payload = {
                **payload,
                "interaction": self.interaction_dict(event.interaction_id),
                "pop": await self._pop(event),
            }
            if self._pops is not None and self._pops.pending(event.interaction_id):
                self._late_pops.add(asyncio.create_task(self._late_pop(event)))
        await self._realtime.to_agent(event.agent_id, name, payload)

    async def _pop(self, event: Event) -> dict[str, Any] | None:
        view = self.router.interaction(event.interaction_id or "")
        if self._pops is None or view is None:
            return None
        try:
            return await self._pops.pop(
                view.id,
                channel=str(view.channel),
                queue=view.queue,
                wait_seconds=event.at - view.enqueue_time,
            )
        except Exception:
            logger.exception("screen pop failed; the offer goes out without it")
            return None

    async def _late_pop(self, offer: Event) -> None:
        """The CRM answered after the offer went out: send the agent the complete pop."""
        try:
            if self._pops is None or not await self._pops.settled(offer.interaction_id or "", within=10.0):
                return
            view = self.router.interaction(offer.interaction_id or "")
            if view is None or view.agent_id != offer.agent_id or self._realtime is None:
                return
            pop = await self._pop(offer)
            if pop is not None and offer.agent_id is not None:
                await self._realtime.to_agent(offer.agent_id, "pop", {"interaction_id": view.id, "pop": pop})
        finally:
            task = asyncio.current_task()
            if task is not None:
                self._late_pops.discard(task)

    def _refresh_gauges(self) -> None:
        router = self.router
        for queue in self._queues:
            self._metrics.queue_waiting.labels(queue.id).set(router.queue_snapshot(queue.id).waiting)
        counts: dict[str, int] = {}
        for agent in self._agents:
            state = str(router.agent(agent.id).presence.kind)
            counts[state] = counts.get(state, 0) + 1
        for state in ("offline", "available", "not_ready", "wrap_up"):
            self._metrics.agents.labels(state).set(counts.get(state, 0))

    # -- what agents do over their socket (AgentActions) -------------------------------------------------

    async def accept(self, agent_id: str, interaction_id: str) -> dict[str, Any]:
        return await self._answer(self._service_or_fail().accept, agent_id, interaction_id)

    async def reject(self, agent_id: str, interaction_id: str) -> dict[str, Any]:
        return await self._answer(self._service_or_fail().reject, agent_id, interaction_id)

    async def _answer(self, action: Any, agent_id: str, interaction_id: str) -> dict[str, Any]:
        try:
            await action(interaction_id, agent_id)
        except RoutingError as exc:
            return {"ok": False, "error_id": type(exc).__name__, "message": str(exc)}
        return {"ok": True, "interaction": self.interaction_dict(interaction_id)}

    async def agent_state(self, agent_id: str) -> dict[str, Any]:
        view = self.router.agent(agent_id)
        return {
            "agent": view.to_dict(),
            "offers": [self.interaction_dict(i) for i in view.offered],
            "work": [self.interaction_dict(i) for i in view.assigned],
        }

    def _service_or_fail(self) -> RoutingService:
        if self._service is None:
            raise RuntimeError("the routing hub is not started")
        return self._service

    # -- what REST handlers ask ------------------------------------------------------------------------------

    async def create_interaction(self, body: InteractionIn) -> InteractionView:
        interaction_id = uuid.uuid4().hex
        new = NewInteraction(
            id=interaction_id,
            queue=body.queue,
            channel=body.channel,
            skills=tuple(SkillRequirement(s.skill, s.min_level) for s in body.skills) or None,
            priority=body.priority,
            attributes=dict(body.attributes),
            preferred_agent=body.preferred_agent,
            customer_ref=body.customer_ref,
        )
        with bind_interaction(interaction_id):
            if self._pops is not None:
                self._pops.begin(interaction_id, body.attributes, queue=body.queue)
            try:
                await self._service_or_fail().enqueue(new)
            except RoutingError:
                if self._pops is not None:
                    self._pops.forget(interaction_id)
                raise
            logger.info("interaction created in queue %s", body.queue)
        view = self.router.interaction(interaction_id)
        assert view is not None
        return view

    async def set_presence(self, agent_id: str, state: str, reason: str | None) -> AgentView:
        presence = {"available": Presence.available, "offline": Presence.offline}.get(state)
        await self._service_or_fail().set_presence(
            agent_id, presence() if presence else Presence.not_ready(reason or "not_ready")
        )
        return self.router.agent(agent_id)

    async def abandon(self, interaction_id: str) -> None:
        """The customer left while waiting or ringing (caller hung up, chat closed)."""
        with bind_interaction(interaction_id):
            await self._service_or_fail().abandon(interaction_id)

    async def end_interaction(
        self, interaction_id: str, reason: str, *, disposition: str | None = None, notes: str | None = None
    ) -> InteractionView:
        await self._service_or_fail().end(interaction_id, reason=reason)
        view = self.router.interaction(interaction_id)
        assert view is not None
        await self._log_on_case(view, disposition=disposition, notes=notes)
        return view

    async def _log_on_case(
        self, view: InteractionView, *, disposition: str | None, notes: str | None
    ) -> None:
        if self._pops is None:
            return
        record = await self._db.get_interaction(view.id)
        activity = activity_for(
            channel=str(view.channel),
            queue=view.queue,
            agent_id=handling_agent(view, record),
            created_at=view.enqueue_time,
            answered_at=record.answered_at.timestamp() if record and record.answered_at else None,
            ended_at=view.ended_at or time.time(),
            interaction_id=view.id,
            disposition=disposition,
            notes=notes,
        )
        try:
            await self._pops.finish(view.id, activity, disposition=disposition, notes=notes)
        except Exception:
            logger.exception("could not log interaction %s on its case", view.id)

    def interaction_dict(self, interaction_id: str) -> dict[str, Any]:
        view = self.router.interaction(interaction_id)
        return dict(view.to_dict()) if view is not None else {"id": interaction_id}

    @property
    def stats(self) -> StatsProjection:
        return self._stats

    @property
    def database(self) -> Database:
        return self._db
