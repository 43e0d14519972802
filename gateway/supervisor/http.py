"""REST handlers of the supervisor's control: move waiting work, offer it to a named agent, read why it went
where it went, and the audit trail of what supervisors did. Presence changes go through the routing API's
`PUT /api/v1/agents/{agent_id}/presence`, which audits a change made for someone else."""

from __future__ import annotations

from aiohttp import web

from gateway.acd import EventType, InteractionView
from gateway.acd_server import RoutingPort
from gateway.auth import principal_of
from gateway.config import Config
from gateway.storage import Database, EventRecord
from gateway.supervisor._explain import explain
from gateway.supervisor.schemas import AuditEntry, AuditList, MoveIn, OfferIn, TraceOut
from gateway.web import ApiRoute, BadRequest, NotFound, json_response, read_body

__all__ = ["routes"]

STAFF = ("supervisor", "admin")
_AUDIT_KEYS = ("by", "action")


def _audit_entry(record: EventRecord) -> AuditEntry:
    payload = dict(record.payload)
    return AuditEntry(
        seq=record.seq,
        at=record.at.timestamp(),
        by=str(payload.get("by", "")),
        action=str(payload.get("action", "")),
        agent_id=record.agent_id,
        interaction_id=record.interaction_id,
        details={k: v for k, v in payload.items() if k not in _AUDIT_KEYS},
    )


def routes(routing: RoutingPort, config: Config, database: Database) -> list[ApiRoute]:
    def name(agent_id: str) -> str:
        user = config.user(agent_id)
        return user.name if user is not None else agent_id

    def live(interaction_id: str) -> InteractionView:
        view = routing.interaction(interaction_id)
        if view is None:
            raise NotFound(
                f"no live interaction {interaction_id!r}", details={"interaction_id": interaction_id}
            )
        return view

    async def move(request: web.Request) -> web.StreamResponse:
        interaction_id = request.match_info["interaction_id"]
        body = await read_body(request, MoveIn)
        live(interaction_id)
        if config.queue(body.queue) is None:
            raise BadRequest(
                f"no queue {body.queue!r}", error_id="unknown_queue", details={"queue": body.queue}
            )
        await routing.move(interaction_id, body.queue, by=principal_of(request).user_id)
        return await trace(request)

    async def offer(request: web.Request) -> web.StreamResponse:
        interaction_id = request.match_info["interaction_id"]
        body = await read_body(request, OfferIn)
        live(interaction_id)
        if body.agent_id not in {a.id for a in config.agents}:
            raise BadRequest(
                f"no agent {body.agent_id!r}", error_id="unknown_agent", details={"agent_id": body.agent_id}
            )
        await routing.offer_to(interaction_id, body.agent_id, by=principal_of(request).user_id)
        return await trace(request)

    async def trace(request: web.Request) -> web.StreamResponse:
        interaction_id = request.match_info["interaction_id"]
        view = live(interaction_id)
        return json_response(explain(view, routing.trace(interaction_id), name))

    async def audit(request: web.Request) -> web.StreamResponse:
        try:
            limit = min(max(int(request.query.get("limit", "100")), 1), 1000)
        except ValueError:
            raise BadRequest("limit must be a whole number", error_id="invalid_query") from None
        records = await database.latest_events_of(str(EventType.SUPERVISOR_ACTION), limit=limit)
        return json_response(AuditList(items=[_audit_entry(r) for r in records]))

    return [
        ApiRoute(
            "POST",
            "/api/v1/interactions/{interaction_id}/move",
            move,
            "Move waiting or ringing work to another queue (supervisors; audited); answers its trace",
            STAFF,
            request=MoveIn,
            response=TraceOut,
            errors=(400, 404, 409),
        ),
        ApiRoute(
            "POST",
            "/api/v1/interactions/{interaction_id}/offer",
            offer,
            "Offer waiting or ringing work to a named available agent (supervisors; audited); "
            "answers its trace",
            STAFF,
            request=OfferIn,
            response=TraceOut,
            errors=(400, 404, 409),
        ),
        ApiRoute(
            "GET",
            "/api/v1/interactions/{interaction_id}/why",
            trace,
            "Why a live interaction went where it went, in words (supervisors)",
            STAFF,
            response=TraceOut,
            errors=(404,),
        ),
        ApiRoute(
            "GET",
            "/api/v1/supervisor/audit",
            audit,
            "What supervisors did (who, what, when), newest first",
            STAFF,
            response=AuditList,
            query=(("limit", "at most this many (<= 1000)"),),
        ),
    ]
