"""The routing core served: every batch of routing events is folded into interaction records and
statistics, counted in metrics and pushed to the right sockets at once, then stored in the event log (see
`_writer`) and handed to subscribers. `AcdServer` is the `RoutingPort` voice, chat and REST use.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol

from gateway.acd import (
    AgentView,
    Channel,
    Decision,
    Event,
    EventType,
    InteractionState,
    InteractionView,
    IvrStep,
    NewInteraction,
    Presence,
    Router,
    RoutingError,
    SupervisorAction,
    UnknownAgent,
    UnknownInteraction,
    WorkBrief,
)
from gateway.acd_server._activities import CaseLog
from gateway.acd_server._projection import InteractionProjection
from gateway.acd_server._pushes import AgentPushes
from gateway.acd_server._runner import CoreRunner
from gateway.acd_server._waiting import WaitingWork
from gateway.acd_server._writer import EventWriter, PresenceRow
from gateway.acd_server.port import (
    CustomerDesk,
    EventListener,
    EventWatcher,
    WaitEstimate,
    WorkCompleter,
    WorkDone,
)
from gateway.analytics import StatsFeed, engine_for
from gateway.config import Config, agent_specs, queue_specs
from gateway.logs import bind_interaction
from gateway.metrics import Metrics
from gateway.storage import Database, DatabaseUnavailable, EventRecord, InteractionRecord

__all__ = ["AcdServer", "SocketPush"]

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


_MONITOR_ACTIONS = ("monitor_join", "monitor_mode", "monitor_leave")
_PRESENCE = (EventType.PRESENCE_CHANGED, EventType.WRAP_UP_ENDED)
_WAITING = (InteractionState.WAITING, InteractionState.OFFERED)


_NOTHING_SAID = WorkDone()


class SocketPush(Protocol):
    """Where events for browsers go (the Socket.IO server)."""

    async def to_agent(self, agent_id: str, event: str, data: Mapping[str, Any]) -> None: ...

    async def to_supervisors(self, event: str, data: Mapping[str, Any]) -> None: ...

    async def event_to_supervisors(self, data: Mapping[str, Any]) -> None: ...


def _stored_clock() -> float:
    """Now, to the microsecond: the event log keeps times to the microsecond, so figures folded live and
    figures rebuilt from the log at the next start are the same to the last bit."""
    return round(time.time(), 6)


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
    def __init__(
        self,
        *,
        config: Config,
        database: Database,
        metrics: Metrics,
        sockets: SocketPush | None = None,
        desk: CustomerDesk | None = None,
        stats: StatsFeed | None = None,
        handle_seconds: float = 180.0,
    ) -> None:
        if handle_seconds <= 0:
            raise ValueError(f"routing: handle_seconds must be > 0, got {handle_seconds}")
        self._db = database
        self._metrics = metrics
        self._sockets = sockets
        self._desk = desk
        self._handle_seconds = handle_seconds
        self._queues = queue_specs(config)
        self._agents = agent_specs(config)
        self._interactions = InteractionProjection()
        self._stats = stats or StatsFeed(engine_for(config))
        self._runner: CoreRunner | None = None
        self._presence_since: dict[str, float] = {}
        self._writer = EventWriter(
            database, on_dead_letter=lambda letter: metrics.storage_dead_letters.labels(letter.kind).inc()
        )
        self._queue_ids = {q.id for q in self._queues}
        self._waiting = WaitingWork(q.id for q in self._queues)
        self._late_pops: set[asyncio.Task[None]] = set()
        self._case_log = CaseLog(desk, self._recording_links) if desk is not None else None
        self._done: dict[str, WorkDone] = {}
        self._completers: dict[Channel, WorkCompleter] = {}
        self._agent_pushes = AgentPushes()
        self._started_at = time.time()
        self._show_monitoring = config.monitoring.show_to_agent
        self._names = {user.id: user.name for user in config.users}  # a supervisor on a call, by name
        self._monitored: dict[str, dict[str, Any]] = {}
        """interaction id -> the supervisor on its call and the mode, for the agent's `state` on reconnect."""
        self._watchers: list[EventWatcher] = []

    def subscribe(self, listener: EventListener) -> None:
        """`listener` receives every batch of routing events, in order, after it is stored (e.g. the voice
        service). It runs on its own task, after the sockets have had the events."""
        self._writer.subscribe(listener)

    def complete_with(self, channel: Channel, completer: WorkCompleter) -> None:
        """Work of `channel` ended without a transcript (REST's end, say) gets what `completer` adds (the
        chat's transcript) before its activity is logged."""
        self._completers[channel] = completer

    def watch(self, watcher: EventWatcher) -> None:
        """`watcher` sees every batch as it is published, before it is stored (e.g. the supervisors'
        wallboard, which must not lag behind the database). It is called on the event loop and must return
        at once."""
        self._watchers.append(watcher)

    @property
    def router(self) -> Router:
        """The core itself, for read models in this package and for tests; other floors use the port."""
        return self._running().router

    def _running(self) -> CoreRunner:
        if self._runner is None:
            raise RuntimeError("the routing server is not started")
        return self._runner

    async def start(self) -> None:
        history = [_event(r) for r in await self._db.events_since(0)]
        router = Router.replay(self._queues, self._agents, history)
        for event in history:
            if event.type in _PRESENCE and event.agent_id:
                self._presence_since[event.agent_id] = event.at
            self._interactions.apply(event)
            self._track_waiting(event, router)
        self._stats.replay(history)
        self._writer.start(history[-1].seq if history else 0)
        self._runner = CoreRunner(router, clock=_stored_clock, sink=self._publish)
        await self._runner.start()
        logger.info(
            "routing started: %d agents, %d queues, %d events replayed",
            len(self._agents),
            len(self._queues),
            len(history),
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.stop()
        await self._agent_pushes.drain()
        await self._agent_pushes.close()
        for task in list(self._late_pops):
            task.cancel()
        if self._late_pops:
            await asyncio.gather(*self._late_pops, return_exceptions=True)
        if self._case_log is not None:
            await self._case_log.close()
        await self._writer.stop()
        if self._desk is not None:
            await self._desk.close()

    # -- the event stream ------------------------------------------------------------------------------

    async def _publish(self, events: Sequence[Event]) -> None:
        """Fold and push at once; the database write and the subscribers follow in the background."""
        if not events:
            return
        records: list[InteractionRecord] = []
        presence: list[PresenceRow] = []
        self._stats.fold(events)  # before any push: a console that hears of an event reads its figures
        for event in events:
            with bind_interaction(event.interaction_id):
                changed = self._fold(event)
                if changed is not None:
                    records.append(changed)
                if event.type is EventType.PRESENCE_CHANGED and event.agent_id is not None:
                    presence.append(_presence_row(event))
                await self._push(event)
        self._writer.put(events, records, presence)
        for watcher in self._watchers:
            try:
                watcher(events)
            except Exception:
                logger.exception("routing event watcher %r failed", watcher)

    def _fold(self, event: Event) -> InteractionRecord | None:
        self._metrics.routing_events.labels(str(event.type)).inc()
        changed = self._interactions.apply(event)
        if event.type in _PRESENCE and event.agent_id is not None:
            self._presence_since[event.agent_id] = event.at
        self._track_waiting(event, self.router)
        self._track_monitoring(event)
        if self._case_log is not None:
            self._case_log.fold(event, self.router, self._done.pop(event.interaction_id or "", None))
        logger.debug("event %d %s agent=%s", event.seq, event.type, event.agent_id)
        return changed

    def _track_monitoring(self, event: Event) -> None:
        iid, action = event.interaction_id, event.data.get("action")
        if iid is None or event.type not in (EventType.SUPERVISOR_ACTION, EventType.ENDED):
            return
        if event.type is EventType.ENDED or action == "monitor_leave":
            self._monitored.pop(iid, None)
        elif action in _MONITOR_ACTIONS:
            details = event.data.get("details")
            mode = details.get("mode") if isinstance(details, dict) else None
            by = event.data.get("by")
            self._monitored[iid] = {"id": by, "name": self._names.get(str(by)), "mode": mode}

    def _track_waiting(self, event: Event, router: Router) -> None:
        waiting = self._waiting
        view = router.interaction(event.interaction_id or "") if waiting.entered(event) else None
        waiting.follow(event, view)

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
        sockets = self._sockets
        if sockets is None:
            return
        payload = event.to_dict()
        await sockets.event_to_supervisors(payload)
        if event.type is EventType.SUPERVISOR_ACTION:
            self._push_monitoring(sockets, event, payload)
            return
        name, agent_id = _AGENT_EVENTS.get(event.type), event.agent_id
        if name is None or agent_id is None:
            return
        offered = event.type is EventType.OFFERED and event.interaction_id is not None
        view = self.router.interaction(event.interaction_id or "") if offered else None
        if view is None:
            self._agent_pushes.send(agent_id, lambda: sockets.to_agent(agent_id, name, payload))
            return
        offer = {**payload, "interaction": dict(view.to_dict())}

        async def push_offer() -> None:
            offer["pop"] = await self._pop(event, view)
            await sockets.to_agent(agent_id, name, offer)
            if self._desk is not None and self._desk.pending(view.id):
                self._late_pops.add(asyncio.create_task(self._late_pop(event)))

        self._agent_pushes.send(agent_id, push_offer)

    def _push_monitoring(self, sockets: SocketPush, event: Event, payload: Mapping[str, Any]) -> None:
        """A supervisor joining, switching or leaving an agent's call: the agent's panel hears of it only
        when the configuration says so (`monitoring.show_to_agent`)."""
        agent_id, action = event.agent_id, event.data.get("action")
        if not self._show_monitoring or agent_id is None or action not in _MONITOR_ACTIONS:
            return
        named = {**payload, "name": self._names.get(str(event.data.get("by")))}
        self._agent_pushes.send(agent_id, lambda: sockets.to_agent(agent_id, "supervisor", named))

    async def _pop(self, event: Event, view: InteractionView) -> dict[str, Any] | None:
        if self._desk is None:
            return None
        try:
            return await self._desk.pop(view, wait_seconds=event.at - view.enqueue_time)
        except Exception:
            logger.exception("screen pop failed; the offer goes out without it")
            return None

    async def _late_pop(self, offer: Event) -> None:
        """The case was filed after the offer went out: send the agent the complete pop."""
        try:
            if self._desk is None or not await self._desk.settled(offer.interaction_id or "", within=10.0):
                return
            view = self.router.interaction(offer.interaction_id or "")
            if view is None or view.agent_id != offer.agent_id or self._sockets is None:
                return
            pop = await self._pop(offer, view)
            if pop is not None and offer.agent_id is not None:
                await self._sockets.to_agent(offer.agent_id, "pop", {"interaction_id": view.id, "pop": pop})
        finally:
            task = asyncio.current_task()
            if task is not None:
                self._late_pops.discard(task)

    # -- what agents do over their socket (realtime.AgentActions) ------------------------------------------

    async def accept_offer(self, agent_id: str, interaction_id: str) -> dict[str, Any]:
        return await self._answer(self.accept, agent_id, interaction_id)

    async def reject_offer(self, agent_id: str, interaction_id: str) -> dict[str, Any]:
        return await self._answer(self.reject, agent_id, interaction_id)

    async def _answer(self, action: Any, agent_id: str, interaction_id: str) -> dict[str, Any]:
        try:
            await action(interaction_id, agent_id)
        except RoutingError as exc:
            return {"ok": False, "error_id": type(exc).__name__, "message": str(exc)}
        return {"ok": True, "interaction": self.interaction_dict(interaction_id)}

    async def agent_state(self, agent_id: str) -> dict[str, Any]:
        """What an agent's panel shows, sent on every (re)connect: an offer that rang while the panel was
        away comes with its screen pop, as the `offer` event would have brought it; a supervisor on one of
        its calls is named when `monitoring.show_to_agent` says so."""
        view = self.router.agent(agent_id)
        pops: dict[str, Any] = {}
        for iid in (*view.offered, *view.assigned):
            interaction = self.router.interaction(iid)
            if interaction is not None and self._desk is not None:
                waited = (interaction.answered_at or time.time()) - interaction.enqueue_time
                pops[iid] = await self._desk.pop(interaction, wait_seconds=waited)
        shown = self._monitored if self._show_monitoring else {}
        return {
            "agent": view.to_dict(),
            "offers": [self.interaction_dict(i) for i in view.offered],
            "work": [self.interaction_dict(i) for i in view.assigned],
            "pops": pops,
            "supervisors": {i: shown[i] for i in view.assigned if i in shown},
        }

    # -- the routing port ---------------------------------------------------------------------------------

    async def enqueue(self, new: NewInteraction) -> InteractionView:
        with bind_interaction(new.id):
            new = await self._entitled(new)
            if self._desk is not None:
                self._desk.file(new)
            try:
                events = await self._running().enqueue(new)
            except RoutingError:
                if self._desk is not None:
                    self._desk.forget(new.id)
                raise
            view = self.router.interaction(new.id)
            assert view is not None
            logger.info(
                "interaction created in queue %s at priority %d%s",
                view.queue,
                view.priority,
                f" ({view.customer.rule})" if view.customer and view.customer.rule else "",
            )
        await self._stored(events)
        return self.router.interaction(new.id) or view

    async def _entitled(self, new: NewInteraction) -> NewInteraction:
        """Who the customer is (asked once, unless the work already says) and what they are entitled to."""
        customer = new.customer
        if (customer is None or customer.crm_unavailable) and self._desk is not None:
            # unknown yet, or the CRM did not answer in time (the desk asks once per interaction id)
            customer = await self._desk.identify(new)
        if customer is None or new.only_agent is not None:
            return replace(new, customer=customer)  # work for one agent is never moved or reprioritised
        queue = customer.queue if customer.queue in self._queue_ids else new.queue
        if customer.queue is not None and queue != customer.queue:
            logger.warning(
                "entitlement rule names queue %r, which does not exist: kept %s", customer.queue, queue
            )
        return replace(new, customer=customer, priority=new.priority + customer.priority_delta, queue=queue)

    async def accept(self, interaction_id: str, agent_id: str) -> None:
        await self._stored(await self._running().accept(interaction_id, agent_id))

    async def reject(self, interaction_id: str, agent_id: str) -> None:
        await self._stored(await self._running().reject(interaction_id, agent_id))

    async def abandon(self, interaction_id: str) -> None:
        """The customer left while waiting or ringing (caller hung up, chat closed)."""
        with bind_interaction(interaction_id):
            await self._stored(await self._running().abandon(interaction_id))

    async def drop(self, interaction_id: str, reason: str) -> None:
        """Waiting or ringing work its customer did not leave is let go (their call was lost)."""
        with bind_interaction(interaction_id):
            await self._stored(await self._running().drop(interaction_id, reason))

    async def end(self, interaction_id: str, reason: str, done: WorkDone = _NOTHING_SAID) -> InteractionView:
        current = self.router.interaction(interaction_id)
        completer = self._completers.get(current.channel) if current is not None else None
        if completer is not None and done.transcript_url is None:
            done = await completer(interaction_id, done)
        self._done[interaction_id] = done
        try:
            await self._stored(
                await self._running().end(interaction_id, reason=reason, hold_seconds=done.hold_seconds)
            )
        finally:
            self._done.pop(interaction_id, None)
        if self._case_log is not None:
            await self._case_log.written(interaction_id)  # the case says what the agent said, once answered
        view = self.router.interaction(interaction_id)
        assert view is not None
        return view

    async def wrap_up(self, interaction_id: str, agent_id: str, done: WorkDone) -> bool:
        """The disposition and notes for work that ended without them (the caller hung up): they go on its
        activity, logged now. False when nothing of `agent_id`'s waits for them under that id."""
        if self._case_log is None or not self._case_log.wrap_up(interaction_id, agent_id, done):
            return False
        await self._case_log.written(interaction_id)
        return True

    async def _recording_links(self, interaction_id: str) -> list[str]:
        kinds = {"stereo": 0, "caller": 1, "agent": 2}  # both sides in one file first
        records = sorted(await self._db.recordings_of(interaction_id), key=lambda r: kinds.get(r.kind, 3))
        return [f"/api/v1/recordings/{r.id}" for r in records]

    async def record_action(self, action: SupervisorAction) -> None:
        with bind_interaction(action.interaction_id):
            await self._stored(await self._running().record_action(action))

    async def record_ivr(self, steps: Sequence[IvrStep]) -> None:
        # Published, not waited on until stored: a caller's next prompt must not wait for the database.
        if steps:
            await self._running().record_ivr(steps)

    async def set_presence(self, agent_id: str, presence: Presence, *, by: str | None = None) -> AgentView:
        await self._stored(await self._running().set_presence(agent_id, presence, by=by))
        return self.router.agent(agent_id)

    async def move(self, interaction_id: str, queue_id: str, *, by: str) -> InteractionView:
        with bind_interaction(interaction_id):
            await self._stored(await self._running().move(interaction_id, queue_id, by=by))
        return self._view(interaction_id)

    async def offer_to(self, interaction_id: str, agent_id: str, *, by: str) -> InteractionView:
        with bind_interaction(interaction_id):
            await self._stored(await self._running().offer_to(interaction_id, agent_id, by=by))
        return self._view(interaction_id)

    def _view(self, interaction_id: str) -> InteractionView:
        view = self.router.interaction(interaction_id)
        if view is None:
            raise UnknownInteraction(interaction_id)
        return view

    def trace(self, interaction_id: str) -> tuple[Decision, ...]:
        return self.router.trace(interaction_id)

    def interaction(self, interaction_id: str) -> InteractionView | None:
        return self.router.interaction(interaction_id)

    def agent(self, agent_id: str) -> AgentView:
        return self.router.agent(agent_id)

    def queue_for_agent(self, agent_id: str, channel: str, *, first: str | None = None) -> str | None:
        spec = next((a for a in self._agents if a.id == agent_id), None)
        if spec is None:
            raise UnknownAgent(agent_id)
        skills = dict(spec.skills)
        for queue in sorted(self._queues, key=lambda q: q.id != first):
            if queue.channel is not Channel(channel):
                continue
            if queue.members and all(m.agent_id != agent_id for m in queue.members):
                continue
            if all(skills.get(req.skill, 0) >= req.min_level for req in queue.skills):
                return queue.id
        return None

    def queue_full(self, queue_id: str) -> bool:
        """As many interactions wait in `queue_id` as its `max_length` allows: the next one is refused."""
        spec = next((q for q in self.router.queues if q.id == queue_id), None)
        if spec is None or spec.max_length is None:
            return False
        return self.router.queue_snapshot(queue_id).waiting >= spec.max_length

    def wait_estimate(self, interaction_id: str) -> WaitEstimate | None:
        """Position among the interactions waiting in the same queue (priority first, then arrival), and
        about how long: the position times the queue's average handle time, shared among its agents."""
        view = self.router.interaction(interaction_id)
        if view is None or view.state not in _WAITING:
            return None
        mine = (-view.priority, view.enqueue_time)
        ahead = 0
        for other_id in self._waiting.members(view.queue):
            other = self.router.interaction(other_id) if other_id != interaction_id else None
            ahead += other is not None and (-other.priority, other.enqueue_time) < mine
        position = ahead + 1
        handle = self._stats.engine.queue(view.queue, time.time()).aht_seconds or self._handle_seconds
        snapshot = self.router.queue_snapshot(view.queue)
        staffed = max(1, snapshot.agents_available + snapshot.agents_busy)
        return WaitEstimate(position, math.ceil(position * handle / staffed))

    # -- what REST handlers read --------------------------------------------------------------------------

    def waiting(self, queue_id: str, *, limit: int) -> list[WorkBrief]:
        """The `limit` oldest of the work waiting or ringing in a queue, oldest first (for the console)."""
        return self.router.briefs(self._waiting.oldest(queue_id, limit))

    def agent_work(self, agent_id: str) -> list[WorkBrief]:
        """The agent's work, offered then assigned (for the console)."""
        return self.router.agent_work(agent_id)

    def interaction_dict(self, interaction_id: str) -> dict[str, Any]:
        view = self.router.interaction(interaction_id)
        return dict(view.to_dict()) if view is not None else {"id": interaction_id}

    @property
    def stats(self) -> StatsFeed:
        return self._stats

    @property
    def database(self) -> Database:
        return self._db
