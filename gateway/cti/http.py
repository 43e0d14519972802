"""REST handlers for the built-in CRM's customers and cases, and the panel's click-to-dial, on the gateway's
web edge; and how the CTI adapter's errors leave the API."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from cti_adapter._contract import Activity, CaseStatus, NewCase
from cti_adapter._service import CtiService
from cti_adapter.builtin import (
    BuiltinCrm,
    CaseQuery,
    CustomerChanges,
    CustomerQuery,
    NewCustomer,
    NewEntitlement,
)
from cti_adapter.errors import (
    CaseNotFound,
    CrmUnavailable,
    CtiError,
    CustomerNotFound,
    DialUnavailable,
    DuplicateCustomer,
    InvalidCrmData,
    InvalidPhoneNumber,
)
from cti_adapter.schemas import (
    ActivityIn,
    ActivityList,
    ActivityOut,
    CaseIn,
    CaseList,
    CaseOut,
    CasePatch,
    CustomerDetail,
    CustomerIn,
    CustomerList,
    CustomerOut,
    CustomerPatch,
    DialIn,
    DialOut,
    EntitlementIn,
    EntitlementOut,
)
from gateway.auth import principal_of
from gateway.cti._ownership import InteractionLookup, check_activity_author, check_interaction
from gateway.web import ApiRoute, BadRequest, ErrorMapping, json_response
from gateway.web import read_body as body_of

__all__ = ["ERRORS", "routes"]

READERS = ("agent", "supervisor", "admin", "integration")
CASE_WRITERS = ("agent", "supervisor", "admin", "integration")
CUSTOMER_WRITERS = ("admin", "integration")


def _field_problem(field: str, problem: str) -> dict[str, Any]:
    return {"errors": [{"field": field, "problem": problem}]}


ERRORS: tuple[ErrorMapping[Any], ...] = (
    ErrorMapping(CtiError, 500, "internal_error"),
    ErrorMapping(CustomerNotFound, 404, "not_found", lambda e: {"customer_id": e.customer_id}),
    ErrorMapping(CaseNotFound, 404, "not_found", lambda e: {"case_id": e.case_id}),
    ErrorMapping(
        DuplicateCustomer, 409, "duplicate_customer", lambda e: {"field": e.field, "value": e.value}
    ),
    ErrorMapping(InvalidPhoneNumber, 400, "invalid_phone", lambda e: _field_problem("phone", e.reason)),
    ErrorMapping(InvalidCrmData, 400, "invalid_body", lambda e: _field_problem(e.field, e.problem)),
    ErrorMapping(CrmUnavailable, 503, "crm_unavailable"),
    ErrorMapping(DialUnavailable, 503, "dial_unavailable"),
)
"""How the CTI adapter's errors leave the API (given to the error middleware by the composition root)."""


def _page(request: web.Request) -> tuple[int, int]:
    try:
        limit = int(request.query.get("limit", "50"))
        offset = int(request.query.get("offset", "0"))
    except ValueError:
        raise BadRequest("limit and offset must be whole numbers", error_id="invalid_query") from None
    if not 1 <= limit <= 500 or offset < 0:
        raise BadRequest("limit must be 1..500 and offset >= 0", error_id="invalid_query")
    return limit, offset


def _entitlements(items: list[EntitlementIn]) -> tuple[NewEntitlement, ...]:
    return tuple(NewEntitlement(e.level, e.starts, e.ends, tuple(e.products)) for e in items)


def _activity(body: ActivityIn, agent_id: str | None) -> Activity:
    return Activity(**{**body.model_dump(), "agent_id": agent_id})


def routes(
    crm: BuiltinCrm,
    service: CtiService | None = None,
    *,
    interactions: InteractionLookup,
    agents: Collection[str],
) -> list[ApiRoute]:
    """The customers and cases API over the built-in CRM; with `service`, click-to-dial too.

    Interaction ids named on cases and activities are looked up in `interactions`: they must exist, and an
    agent may name only the ones they handled (and log activities only as themselves). An activity's agent
    is one of the configured `agents` (their ids).
    """

    async def detail(customer_id: str) -> CustomerDetail:
        customer = await crm.get_customer(customer_id)
        today = datetime.now(UTC).date()
        entitlements = [EntitlementOut.of(e, today) for e in await crm.entitlements(customer_id)]
        cases = [CaseOut.of(c) for c in await crm.open_cases(customer_id)]
        return CustomerDetail(
            **CustomerOut.of(customer).model_dump(), entitlements=entitlements, open_cases=cases
        )

    async def search_customers(request: web.Request) -> web.StreamResponse:
        limit, offset = _page(request)
        q = request.query
        found = await crm.search_customers(
            CustomerQuery(
                phone=q.get("phone"),
                email=q.get("email"),
                account_number=q.get("account"),
                text=q.get("q"),
                limit=limit,
                offset=offset,
            )
        )
        return json_response(CustomerList(items=[CustomerOut.of(c) for c in found]))

    async def create_customer(request: web.Request) -> web.StreamResponse:
        body = await body_of(request, CustomerIn)
        created = await crm.create_customer(
            NewCustomer(
                name=body.name,
                phone=body.phone,
                email=body.email,
                account_number=body.account_number,
                company=body.company,
                entitlements=_entitlements(body.entitlements),
            )
        )
        return json_response(await detail(created.id), status=201)

    async def get_customer(request: web.Request) -> web.StreamResponse:
        return json_response(await detail(request.match_info["customer_id"]))

    async def update_customer(request: web.Request) -> web.StreamResponse:
        customer_id = request.match_info["customer_id"]
        body = await body_of(request, CustomerPatch)
        await crm.update_customer(
            customer_id,
            CustomerChanges(name=body.name, phone=body.phone, email=body.email, company=body.company),
        )
        for entitlement in _entitlements(body.entitlements):
            await crm.add_entitlement(customer_id, entitlement)
        return json_response(await detail(customer_id))

    async def search_cases(request: web.Request) -> web.StreamResponse:
        limit, offset = _page(request)
        q = request.query
        status = q.get("status")
        if status is not None and status not in {s.value for s in CaseStatus}:
            raise BadRequest(
                f"status must be open, pending or closed, got {status!r}", error_id="invalid_query"
            )
        found = await crm.search_cases(
            CaseQuery(
                customer_id=q.get("customer_id"),
                status=CaseStatus(status) if status else None,
                text=q.get("q"),
                limit=limit,
                offset=offset,
            )
        )
        return json_response(CaseList(items=[CaseOut.of(c) for c in found]))

    async def create_case(request: web.Request) -> web.StreamResponse:
        body = await body_of(request, CaseIn)
        await check_interaction(interactions, principal_of(request), body.interaction_id, required=False)
        new = NewCase(
            body.customer_id, body.subject, interaction_id=body.interaction_id, priority=body.priority
        )
        if body.attach:
            attachment = await crm.attach_case(new)
            return json_response(CaseOut.of(attachment.case), status=200 if attachment.attached else 201)
        return json_response(CaseOut.of(await crm.open_case(new)), status=201)

    async def get_case(request: web.Request) -> web.StreamResponse:
        return json_response(CaseOut.of(await crm.get_case(request.match_info["case_id"])))

    async def update_case(request: web.Request) -> web.StreamResponse:
        body = await body_of(request, CasePatch)
        case = await crm.update_case(
            request.match_info["case_id"],
            disposition=body.disposition,
            notes=body.notes,
            status=CaseStatus(body.status) if body.status else None,
            subject=body.subject,
            priority=body.priority,
        )
        return json_response(CaseOut.of(case))

    async def add_activity(request: web.Request) -> web.StreamResponse:
        case_id = request.match_info["case_id"]
        body = await body_of(request, ActivityIn)
        if body.started_at.utcoffset() is None:
            raise BadRequest(
                "started_at needs a UTC offset",
                error_id="invalid_body",
                details={"errors": [{"field": "started_at", "problem": "no UTC offset"}]},
            )
        await crm.get_case(case_id)  # an unknown case is a 404 before anything is checked against it
        principal = principal_of(request)
        agent_id = check_activity_author(principal, body.agent_id, agents=agents)
        await check_interaction(interactions, principal, body.interaction_id, required=True)
        await crm.log_activity(case_id, _activity(body, agent_id))
        activities = await crm.activities(case_id)
        return json_response(ActivityList(items=[ActivityOut.of(a) for a in activities]), status=201)

    async def list_activities(request: web.Request) -> web.StreamResponse:
        activities = await crm.activities(request.match_info["case_id"])
        return json_response(ActivityList(items=[ActivityOut.of(a) for a in activities]))

    table = [
        ApiRoute(
            "GET",
            "/api/v1/customers",
            search_customers,
            "Search customers",
            READERS,
            response=CustomerList,
            query=(
                ("phone", "this number, any format"),
                ("email", "this e-mail address"),
                ("account", "this account number"),
                ("q", "in name, company or e-mail"),
                ("limit", "at most this many (<= 500)"),
                ("offset", "skip this many"),
            ),
        ),
        ApiRoute(
            "POST",
            "/api/v1/customers",
            create_customer,
            "Create a customer (and its account)",
            CUSTOMER_WRITERS,
            request=CustomerIn,
            response=CustomerDetail,
            status=201,
            errors=(409,),
        ),
        ApiRoute(
            "GET",
            "/api/v1/customers/{customer_id}",
            get_customer,
            "A customer with entitlements and open cases",
            READERS,
            response=CustomerDetail,
            errors=(404,),
        ),
        ApiRoute(
            "PATCH",
            "/api/v1/customers/{customer_id}",
            update_customer,
            "Change a customer; add entitlements",
            CUSTOMER_WRITERS,
            request=CustomerPatch,
            response=CustomerDetail,
            errors=(404, 409),
        ),
        ApiRoute(
            "GET",
            "/api/v1/cases",
            search_cases,
            "Search cases",
            READERS,
            response=CaseList,
            errors=(404,),
            query=(
                ("customer_id", "the cases of this customer's account"),
                ("status", "open, pending or closed"),
                ("q", "in the subject"),
                ("limit", "at most this many (<= 500)"),
                ("offset", "skip this many"),
            ),
        ),
        ApiRoute(
            "POST",
            "/api/v1/cases",
            create_case,
            "Open a case, or join the unclosed one on the same subject (200)",
            CASE_WRITERS,
            request=CaseIn,
            response=CaseOut,
            status=201,
            also=(200,),
            errors=(404,),
        ),
        ApiRoute(
            "GET", "/api/v1/cases/{case_id}", get_case, "One case", READERS, response=CaseOut, errors=(404,)
        ),
        ApiRoute(
            "PATCH",
            "/api/v1/cases/{case_id}",
            update_case,
            "Change a case's status, disposition, notes, subject or priority",
            CASE_WRITERS,
            request=CasePatch,
            response=CaseOut,
            errors=(404,),
        ),
        ApiRoute(
            "GET",
            "/api/v1/cases/{case_id}/activities",
            list_activities,
            "A case's activity log",
            READERS,
            response=ActivityList,
            errors=(404,),
        ),
        ApiRoute(
            "POST",
            "/api/v1/cases/{case_id}/activities",
            add_activity,
            "Log a call or chat on a case",
            CASE_WRITERS,
            request=ActivityIn,
            response=ActivityList,
            status=201,
            errors=(404,),
        ),
    ]
    if service is not None:
        table.append(_dial_route(service))
    return table


def _dial_route(service: CtiService) -> ApiRoute:
    async def dial(request: web.Request) -> web.StreamResponse:
        principal = principal_of(request)
        body = await body_of(request, DialIn)
        placed = await service.click_to_dial(
            principal.user_id, body.number, customer_id=body.customer_id, case_id=body.case_id
        )
        return json_response(
            DialOut(
                agent_id=placed.agent_id,
                number=placed.number,
                requested_at=placed.requested_at,
                customer_id=placed.customer_id,
                case_id=placed.case_id,
            ),
            status=202,
        )

    return ApiRoute(
        "POST",
        "/api/v1/cti/dial",
        dial,
        "Click-to-dial: call a number from the agent's phone",
        ("agent",),
        request=DialIn,
        response=DialOut,
        status=202,
        errors=(503,),
    )
