"""REST handlers for agents, presence, queues and interactions, and how routing errors leave the API."""

from __future__ import annotations

import time
import uuid
from typing import Any

from aiohttp import web

from gateway.acd import (
    AgentView,
    InteractionState,
    InteractionView,
    NewInteraction,
    Presence,
    RoutingError,
    SkillRequirement,
    UnknownQueue,
)
from gateway.acd.errors import (
    AgentUnavailable,
    DuplicateInteraction,
    NotOffered,
    UnknownAgent,
    UnknownInteraction,
)
from gateway.acd_server._server import AcdServer
from gateway.acd_server.access import handling_agent, may_see
from gateway.acd_server.port import WorkDone
from gateway.acd_server.schemas import (
    AgentList,
    AgentOut,
    CapacityOut,
    EndRequest,
    InteractionIn,
    InteractionList,
    InteractionOut,
    PresenceIn,
    PresenceOut,
    QueueList,
    QueueOut,
    SkillLevel,
    WrapUpOut,
    WrapUpRequest,
)
from gateway.auth import principal_of
from gateway.config import Config
from gateway.storage import InteractionRecord
from gateway.web import ApiRoute, BadRequest, Conflict, ErrorMapping, Forbidden, NotFound, json_response
from gateway.web import read_body as body_of

__all__ = ["ERRORS", "routes"]

ALL = ("agent", "supervisor", "admin", "integration")
STAFF = ("supervisor", "admin")
WRITERS = ("admin", "integration")


def _ids(exc: RoutingError) -> dict[str, Any]:
    return {k: v for k, v in (("interaction_id", exc.interaction_id), ("agent_id", exc.agent_id)) if v}


ERRORS: tuple[ErrorMapping[Any], ...] = (
    ErrorMapping(RoutingError, 409, "routing_conflict", _ids),
    ErrorMapping(UnknownInteraction, 404, "not_found", _ids),
    ErrorMapping(UnknownAgent, 404, "not_found", _ids),
    ErrorMapping(UnknownQueue, 400, "unknown_queue", _ids),
    ErrorMapping(DuplicateInteraction, 409, "conflict", _ids),
    ErrorMapping(NotOffered, 409, "conflict", _ids),
    ErrorMapping(AgentUnavailable, 409, "agent_unavailable", lambda e: {**_ids(e), "reason": e.reason}),
)
"""How the routing core's errors leave the API (given to the error middleware by the composition root)."""


def _agent_out(hub: AcdServer, config: Config, view: AgentView) -> AgentOut:
    user = config.user(view.id)
    presence = view.presence
    return AgentOut(
        id=view.id,
        name=user.name if user else view.id,
        skills=dict(user.skills) if user else {},
        presence=PresenceOut(
            state=str(presence.kind),
            reason=presence.reason,
            since=hub.presence_since(view.id),
            wrap_up_until=presence.until,
        ),
        capacity=CapacityOut(total=view.total_units, used=view.used_units),
        work=[*view.offered, *view.assigned],
    )


def _interaction_out(
    view: InteractionView, record: InteractionRecord | None, *, trace: bool, hub: AcdServer
) -> InteractionOut:
    return InteractionOut(
        id=view.id,
        channel=str(view.channel),
        queue=view.queue,
        state=str(view.state),
        priority=view.priority,
        attributes=dict(view.attributes),
        customer_ref=record.customer_ref if record else None,
        agent_id=handling_agent(view, record),
        created_at=view.enqueue_time,
        offered_at=record.offered_at.timestamp() if record and record.offered_at else None,
        answered_at=record.answered_at.timestamp() if record and record.answered_at else None,
        ended_at=view.ended_at,
        outcome=record.outcome if record else view.end_reason,
        wait_seconds=record.wait_seconds if record else None,
        trace=_trace(hub, view) if trace else None,
    )


def _trace(hub: AcdServer, view: InteractionView) -> list[dict[str, object]]:
    """Why it went where it went: the entitlement rule applied on arrival, then each routing decision."""
    customer = view.customer
    steps: list[dict[str, object]] = []
    if customer is not None and customer.rule:
        steps.append(
            {
                "trigger": "received",
                "rule": "entitlement",
                "detail": customer.rule,
                "customer_id": customer.customer_id,
                "level": customer.level,
                "priority_delta": customer.priority_delta,
                "queue": customer.queue,
            }
        )
    return steps + [dict(d.to_dict()) for d in hub.router.trace(view.id)]


def _new_interaction(body: InteractionIn) -> NewInteraction:
    return NewInteraction(
        id=uuid.uuid4().hex,
        queue=body.queue,
        channel=body.channel,
        skills=tuple(SkillRequirement(s.skill, s.min_level) for s in body.skills) or None,
        priority=body.priority,
        attributes=dict(body.attributes),
        preferred_agent=body.preferred_agent,
        only_agent=body.only_agent,
        customer_ref=body.customer_ref,
    )


def _presence(state: str, reason: str | None) -> Presence:
    if state == "available":
        return Presence.available()
    return Presence.offline() if state == "offline" else Presence.not_ready(reason or "not_ready")


def _record_out(record: InteractionRecord) -> InteractionOut:
    return InteractionOut(
        id=record.id,
        channel=record.channel,
        queue=record.queue_id,
        state="ended" if record.ended_at else "waiting",
        priority=record.priority,
        attributes=record.attributes,
        customer_ref=record.customer_ref,
        agent_id=record.agent_id,
        created_at=record.created_at.timestamp(),
        offered_at=record.offered_at.timestamp() if record.offered_at else None,
        answered_at=record.answered_at.timestamp() if record.answered_at else None,
        ended_at=record.ended_at.timestamp() if record.ended_at else None,
        outcome=record.outcome,
        wait_seconds=record.wait_seconds,
    )


def routes(hub: AcdServer, config: Config) -> list[ApiRoute]:
    agent_ids = [u.id for u in config.agents]

    async def list_agents(request: web.Request) -> web.StreamResponse:
        principal = principal_of(request)
        ids = agent_ids if principal.role != "agent" else [principal.user_id]
        items = [_agent_out(hub, config, hub.router.agent(i)) for i in ids]
        return json_response(AgentList(items=items))

    async def set_presence(request: web.Request) -> web.StreamResponse:
        principal, agent_id = principal_of(request), request.match_info["agent_id"]
        if principal.role == "agent" and agent_id != principal.user_id:
            raise Forbidden(
                "an agent may change only its own presence",
                error_id="not_your_presence",
                details={"agent_id": agent_id},
            )
        if agent_id not in agent_ids:
            raise NotFound(f"no agent {agent_id!r}", details={"agent_id": agent_id})
        body = await body_of(request, PresenceIn)
        if body.state == "not_ready" and body.reason is None:
            raise BadRequest(
                "not_ready needs a reason",
                error_id="invalid_body",
                details={"errors": [{"field": "reason", "problem": "required for not_ready"}]},
            )
        by = principal.user_id if principal.user_id != agent_id else None  # someone else's change is audited
        view = await hub.set_presence(agent_id, _presence(body.state, body.reason), by=by)
        return json_response(_agent_out(hub, config, view))

    async def list_queues(request: web.Request) -> web.StreamResponse:
        now = time.time()
        items = []
        for queue in config.queues:
            snap = hub.router.queue_snapshot(queue.id)
            items.append(
                QueueOut(
                    id=queue.id,
                    name=queue.name,
                    channel=str(queue.channel),
                    strategy=str(queue.strategy),
                    skills=[SkillLevel(skill=s.skill, min_level=s.min_level) for s in queue.skills],
                    waiting=snap.waiting,
                    oldest_wait_seconds=now - snap.oldest_enqueue_time if snap.oldest_enqueue_time else None,
                    agents_available=snap.agents_available,
                    agents_eligible=snap.agents_available + snap.agents_busy,
                )
            )
        return json_response(QueueList(items=items))

    async def create_interaction(request: web.Request) -> web.StreamResponse:
        body = await body_of(request, InteractionIn)
        if config.queue(body.queue) is None:
            raise BadRequest(
                f"no queue {body.queue!r}", error_id="unknown_queue", details={"queue": body.queue}
            )
        if body.only_agent is not None and body.only_agent not in {a.id for a in config.agents}:
            raise BadRequest(
                f"only_agent: no agent {body.only_agent!r}",
                error_id="unknown_agent",
                details={"only_agent": body.only_agent},
            )
        view = await hub.enqueue(_new_interaction(body))
        record = await hub.database.get_interaction(view.id)
        return json_response(_interaction_out(view, record, trace=True, hub=hub), status=201)

    async def list_interactions(request: web.Request) -> web.StreamResponse:
        principal = principal_of(request)
        query = request.query
        agent_filter = principal.user_id if principal.role == "agent" else query.get("agent_id")
        try:
            limit = min(int(query.get("limit", "100")), 500)
            offset = max(int(query.get("offset", "0")), 0)
        except ValueError:
            raise BadRequest("limit and offset must be whole numbers", error_id="invalid_query") from None
        await hub.caught_up()
        records = await hub.database.list_interactions(
            agent_id=agent_filter, queue_id=query.get("queue_id"), limit=max(limit, 1), offset=offset
        )
        items = []
        for record in records:
            view = hub.router.interaction(record.id)
            items.append(
                _interaction_out(view, record, trace=False, hub=hub) if view else _record_out(record)
            )
        return json_response(InteractionList(items=items))

    async def get_interaction(request: web.Request) -> web.StreamResponse:
        principal, interaction_id = principal_of(request), request.match_info["interaction_id"]
        await hub.caught_up()
        view = hub.router.interaction(interaction_id)
        record = await hub.database.get_interaction(interaction_id)
        if view is None and record is None:
            raise NotFound(f"no interaction {interaction_id!r}", details={"interaction_id": interaction_id})
        if not may_see(principal, handling_agent(view, record)):
            raise Forbidden(
                "an agent may see only its own interactions",
                error_id="not_your_interaction",
                details={"interaction_id": interaction_id},
            )
        if view is None:
            assert record is not None
            return json_response(_record_out(record))
        return json_response(_interaction_out(view, record, trace=True, hub=hub))

    async def end_interaction(request: web.Request) -> web.StreamResponse:
        principal, interaction_id = principal_of(request), request.match_info["interaction_id"]
        body = await body_of(request, EndRequest)
        view = hub.router.interaction(interaction_id)
        if view is None:
            raise NotFound(f"no interaction {interaction_id!r}", details={"interaction_id": interaction_id})
        if not may_see(principal, view.agent_id):
            raise Forbidden(
                "an agent may end only its own interactions",
                error_id="not_your_interaction",
                details={"interaction_id": interaction_id},
            )
        if view.state is not InteractionState.ASSIGNED:
            raise Conflict(
                f"interaction {interaction_id!r} is {view.state}, not assigned",
                error_id="not_assigned",
                details={"state": str(view.state)},
            )
        ended = await hub.end(
            interaction_id, body.reason, WorkDone(disposition=body.disposition, notes=body.notes)
        )
        record = await hub.database.get_interaction(interaction_id)
        return json_response(_interaction_out(ended, record, trace=False, hub=hub))

    async def wrap_up(request: web.Request) -> web.StreamResponse:
        principal, interaction_id = principal_of(request), request.match_info["interaction_id"]
        body = await body_of(request, WrapUpRequest)
        done = WorkDone(disposition=body.disposition, notes=body.notes)
        if not await hub.wrap_up(interaction_id, principal.user_id, done):
            raise Conflict(
                f"interaction {interaction_id!r} is not one of yours waiting for its wrap-up",
                error_id="not_in_wrap_up",
                details={"interaction_id": interaction_id},
            )
        return json_response(WrapUpOut(interaction_id=interaction_id, logged=True))

    return [
        ApiRoute(
            "GET",
            "/api/v1/agents",
            list_agents,
            "List agents with presence, capacity and work",
            ALL,
            response=AgentList,
        ),
        ApiRoute(
            "PUT",
            "/api/v1/agents/{agent_id}/presence",
            set_presence,
            "Change an agent's presence (agents: their own only)",
            ALL,
            request=PresenceIn,
            response=AgentOut,
            errors=(404,),
        ),
        ApiRoute(
            "GET", "/api/v1/queues", list_queues, "List queues with what is waiting", ALL, response=QueueList
        ),
        ApiRoute(
            "POST",
            "/api/v1/interactions",
            create_interaction,
            "Create a routable work item (call, chat, e-mail, case)",
            WRITERS,
            request=InteractionIn,
            response=InteractionOut,
            status=201,
            errors=(409,),
        ),
        ApiRoute(
            "GET",
            "/api/v1/interactions",
            list_interactions,
            "List interactions (agents: their own only)",
            ALL,
            response=InteractionList,
            query=(
                ("agent_id", "only this agent's"),
                ("queue_id", "only this queue's"),
                ("limit", "at most this many (<= 500)"),
                ("offset", "skip this many"),
            ),
        ),
        ApiRoute(
            "GET",
            "/api/v1/interactions/{interaction_id}",
            get_interaction,
            "One interaction with its routing trace",
            ALL,
            response=InteractionOut,
            errors=(404,),
        ),
        ApiRoute(
            "POST",
            "/api/v1/interactions/{interaction_id}/end",
            end_interaction,
            "End an assigned interaction; the agent goes to wrap-up",
            ALL,
            request=EndRequest,
            response=InteractionOut,
            errors=(404, 409),
        ),
        ApiRoute(
            "POST",
            "/api/v1/interactions/{interaction_id}/wrap-up",
            wrap_up,
            "Give the disposition and notes of your work that ended without them, during its wrap-up; "
            "its activity is logged on the customer's case with them",
            ("agent",),
            request=WrapUpRequest,
            response=WrapUpOut,
            errors=(409,),
        ),
    ]
