"""The routing core wired to the world: every batch of routing events is folded into interaction
records and statistics, counted in metrics and pushed to the right sockets at once, then stored in the
event log (see `_writer`) and handed to subscribers.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
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
from gateway.acd.specs import SkillRequirement
from gateway.acd_server._pops import ScreenPops, activity_for
from gateway.acd_server._projection import InteractionProjection, StatsProjection
from gateway.acd_server._pushes import AgentPushes
from gateway.acd_server._runner import CoreRunner
from gateway.acd_server._writer import EventListener, EventWriter, PresenceRow
from gateway.acd_server.access import handling_agent
from gateway.acd_server.schemas import InteractionIn
from gateway.config import Config, agent_specs, queue_specs
from gateway.logs import bind_interaction
from gateway.metrics import Metrics
from gateway.realtime import RealtimeServer
from gateway.storage import Database, DatabaseUnavailable, EventRecord, InteractionRecord

__all__ = ["AcdServer"]

logger = logging.getLogger("helpline.acd")

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
_PRESENCE = (EventType.PRESENCE_CHANGED, EventType.WRAP_UP_ENDED)


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


def _presence_row(event: Event) -> PresenceRow:
    presence = event.data.get("presence")
    state = presence.get("kind") if isinstance(presence, dict) else None
    reason = presence.get("reason") if isinstance(presence, dict) else None
    return PresenceRow(
        event.agent_id or "",
        str(state or "unknown"),
        reason if isinstance(reason, str) else None,
        datetime.fromtimestamp(event.at, tz=UTC),
    )


class AcdServer:
    def __init__(self, *, config: Config, database: Database, metrics: Metrics) -> None:
        self._config = config
        self._db = database
        self._metrics = metrics
        self._queues = queue_specs(config)
        self._agents = agent_specs(config)
        self._realtime: RealtimeServer | None = None
        self._interactions = InteractionProjection()
        self._stats = StatsProjection(thresholds={q.id: q.service_level_seconds for q in self._queues})
        self._service: CoreRunner | None = None
        self._presence_since: dict[str, float] = {}
        self._writer = EventWriter(database)
        self._queue_ids = {q.id for q in self._queues}
        self._agent_states: dict[str, str] = {}
        self._pops: ScreenPops | None = None
        self._late_pops: set[asyncio.Task[None]] = set()
        self._agent_pushes = AgentPushes()
        self._started_at = time.time()

    def attach_realtime(self, realtime: RealtimeServer) -> None:
        self._realtime = realtime

    def attach_pops(self, pops: ScreenPops) -> None:
        self._pops = pops

    def subscribe(self, listener: EventListener) -> None:
        """`listener` receives every batch of routing events, in order, after it is stored (e.g. the voice
        service). It runs on its own task, after the sockets have had the events."""
        self._writer.subscribe(listener)

    @property
    def router(self) -> Router:
        if self._service is None:
            raise RuntimeError("the routing hub is not started")
        return self._service.router

    async def start(self) -> None:
        history = [_event(r) for r in await self._db.events_since(0)]
        router = Router.replay(self._queues, self._agents, history)
        for event in history:
            if event.type in _PRESENCE and event.agent_id:
                self._presence_since[event.agent_id] = event.at
            self._interactions.apply(event)
            self._stats.apply(event)
        self._writer.start(history[-1].seq if history else 0)
        self._service = CoreRunner(router, clock=time.time, sink=self._publish)
        await self._service.start()
        self._refresh_gauges(())
        logger.info(
            "routing started: %d agents, %d queues, %d events replayed",
            len(self._agents),
            len(self._queues),
            len(history),
        )

    async def stop(self) -> None:
        if self._service is not None:
            await self._service.stop()
        await self._agent_pushes.drain()
        await self._agent_pushes.close()
        for task in list(self._late_pops):
            task.cancel()
        if self._late_pops:
            await asyncio.gather(*self._late_pops, return_exceptions=True)
        await self._writer.stop()
        if self._pops is not None:
            await self._pops.close()

    # -- the event stream ------------------------------------------------------------------------------

    async def _publish(self, events: Sequence[Event]) -> None:
        """Fold and push at once; the database write and the subscribers follow in the background."""
        if not events:
            return
        records: list[InteractionRecord] = []
        presence: list[PresenceRow] = []
        for event in events:
            with bind_interaction(event.interaction_id):
                changed = self._fold(event)
                if changed is not None:
                    records.append(changed)
                if event.type is EventType.PRESENCE_CHANGED and event.agent_id is not None:
                    presence.append(_presence_row(event))
                await self._push(event)
        self._writer.put(events, records, presence)
        self._refresh_gauges(events)

    def _fold(self, event: Event) -> InteractionRecord | None:
        self._metrics.routing_events.labels(str(event.type)).inc()
        self._stats.apply(event)
        changed = self._interactions.apply(event)
        if event.type in _PRESENCE and event.agent_id is not None:
            self._presence_since[event.agent_id] = event.at
        if event.type in _NOT_SERVED and self._pops is not None and event.interaction_id is not None:
            self._pops.forget(event.interaction_id)
        logger.debug("event %d %s agent=%s", event.seq, event.type, event.agent_id)
        return changed

    async def _stored(self, events: Sequence[Event]) -> None:
        """Until `events` are in the database: a command's caller may read them back from there.

        A command has taken effect once its events are pushed, so a database that is down does not turn
        it into an error (a retry would do it twice): it answers after the writer's patience, and reads
        say the database is unavailable until the events are written.
        """
        if events:
            try:
                await self._writer.stored(events[-1].seq)
            except DatabaseUnavailable as exc:
                logger.warning("answering before the events are stored: %s", exc)

    async def caught_up(self) -> None:
        """Until every event already pushed to a socket is stored: a REST read then agrees with the panel."""
        await self._writer.caught_up()

    def presence_since(self, agent_id: str) -> float:
        return self._presence_since.get(agent_id, self._started_at)

    async def _push(self, event: Event) -> None:
        realtime = self._realtime
        if realtime is None:
            return
        payload = event.to_dict()
        await realtime.to_supervisors("event", payload)
        name, agent_id = _AGENT_EVENTS.get(event.type), event.agent_id
        if name is None or agent_id is None:
            return
        offered = event.type is EventType.OFFERED and event.interaction_id is not None
        view = self.router.interaction(event.interaction_id or "") if offered else None
        if view is None:
            self._agent_pushes.send(agent_id, lambda: realtime.to_agent(agent_id, name, payload))
            return
        offer = {**payload, "interaction": dict(view.to_dict())}

        async def push_offer() -> None:
            offer["pop"] = await self._pop(event, view)
            await realtime.to_agent(agent_id, name, offer)
            if self._pops is not None and self._pops.pending(view.id):
                self._late_pops.add(asyncio.create_task(self._late_pop(event)))

        self._agent_pushes.send(agent_id, push_offer)

    async def _pop(self, event: Event, view: InteractionView) -> dict[str, Any] | None:
        if self._pops is None:
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
            pop = await self._pop(offer, view)
            if pop is not None and offer.agent_id is not None:
                await self._realtime.to_agent(offer.agent_id, "pop", {"interaction_id": view.id, "pop": pop})
        finally:
            task = asyncio.current_task()
            if task is not None:
                self._late_pops.discard(task)

    def _refresh_gauges(self, events: Sequence[Event]) -> None:
        """Queue and agent gauges; after a batch only what it touched is re-read, not every agent."""
        router = self.router
        queues = self._touched_queues(events) if events else {q.id for q in self._queues}
        for queue_id in queues:
            self._metrics.queue_waiting.labels(queue_id).set(router.queue_snapshot(queue_id).waiting)
        if events:
            agents = {e.agent_id for e in events if e.type in _PRESENCE and e.agent_id}
        else:
            agents, self._agent_states = {a.id for a in self._agents}, {}
            for state in ("offline", "available", "not_ready", "wrap_up"):
                self._metrics.agents.labels(state).set(0)
        for agent_id in agents:
            state = str(router.agent(agent_id).presence.kind)
            before = self._agent_states.get(agent_id)
            if before != state:
                self._agent_states[agent_id] = state
                self._metrics.agents.labels(state).inc()
                if before is not None:
                    self._metrics.agents.labels(before).dec()

    def _touched_queues(self, events: Sequence[Event]) -> set[str]:
        queues: set[str] = set()
        for event in events:
            named = [event.data.get(key) for key in ("queue", "to")]
            queues.update(q for q in named if isinstance(q, str))
            if not any(named) and event.interaction_id is not None:
                view = self.router.interaction(event.interaction_id)
                if view is not None:
                    queues.add(view.queue)
        return queues & self._queue_ids

    # -- what agents do over their socket (AgentActions) -------------------------------------------------

    async def accept(self, agent_id: str, interaction_id: str) -> dict[str, Any]:
        return await self._answer(self._service_or_fail().accept, agent_id, interaction_id)

    async def reject(self, agent_id: str, interaction_id: str) -> dict[str, Any]:
        return await self._answer(self._service_or_fail().reject, agent_id, interaction_id)

    async def _answer(self, action: Any, agent_id: str, interaction_id: str) -> dict[str, Any]:
        try:
            await self._stored(await action(interaction_id, agent_id))
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

    def _service_or_fail(self) -> CoreRunner:
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
            only_agent=body.only_agent,
            customer_ref=body.customer_ref,
        )
        with bind_interaction(interaction_id):
            if self._pops is not None:
                self._pops.begin(interaction_id, body.attributes, queue=body.queue)
            try:
                events = await self._service_or_fail().enqueue(new)
            except RoutingError:
                if self._pops is not None:
                    self._pops.forget(interaction_id)
                raise
            logger.info("interaction created in queue %s", body.queue)
        await self._stored(events)
        view = self.router.interaction(interaction_id)
        assert view is not None
        return view

    async def set_presence(self, agent_id: str, state: str, reason: str | None) -> AgentView:
        presence = {"available": Presence.available, "offline": Presence.offline}.get(state)
        await self._stored(
            await self._service_or_fail().set_presence(
                agent_id, presence() if presence else Presence.not_ready(reason or "not_ready")
            )
        )
        return self.router.agent(agent_id)

    async def abandon(self, interaction_id: str) -> None:
        """The customer left while waiting or ringing (caller hung up, chat closed)."""
        with bind_interaction(interaction_id):
            await self._stored(await self._service_or_fail().abandon(interaction_id))

    async def end_interaction(
        self, interaction_id: str, reason: str, *, disposition: str | None = None, notes: str | None = None
    ) -> InteractionView:
        await self._stored(await self._service_or_fail().end(interaction_id, reason=reason))
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
