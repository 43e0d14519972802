"""A route table that is both the aiohttp router's input and the OpenAPI document's source."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from gateway.web.errors import BadRequest, validation_details

__all__ = ["ApiRoute", "json_response", "openapi_document", "read_body"]

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class ApiRoute:
    method: str
    path: str
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    summary: str
    roles: tuple[str, ...] | None  # None: no authentication
    request: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    query: tuple[tuple[str, str], ...] = ()  # (name, description)
    also: tuple[int, ...] = ()  # other success statuses, with the same body as `status`


async def read_body(request: web.Request, model: type[Model]) -> Model:
    """Parse the JSON body into `model`, refusing malformed JSON, wrong types and unknown fields."""
    raw = await request.read()
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}", error_id="malformed_json") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object", error_id="malformed_json")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRequest(
            "the body does not match the expected shape",
            error_id="invalid_body",
            details=validation_details(exc),
        ) from None


def json_response(value: BaseModel | Sequence[BaseModel], *, status: int = 200) -> web.Response:
    if isinstance(value, BaseModel):
        text = value.model_dump_json()
    else:
        text = "[" + ",".join(v.model_dump_json() for v in value) + "]"
    return web.Response(status=status, text=text, content_type="application/json")


_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error_id", "message", "details"],
    "properties": {
        "error_id": {"type": "string"},
        "message": {"type": "string"},
        "details": {"type": "object"},
    },
}


def _path_params(path: str) -> list[dict[str, Any]]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]
    return [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names]


def _schema_ref(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        schemas[name] = sub
    schemas[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _implied_errors(route: ApiRoute) -> set[int]:
    """What the edge itself may answer: bad input (400, 413), no or wrong token (401, 403), and 503 when a
    route that needs the database finds it down (the error middleware's `database_unavailable`)."""
    codes: set[int] = set()
    if route.request is not None:
        codes |= {400, 413}
    if route.query:
        codes.add(400)
    if route.roles is not None:
        codes |= {401, 403, 503}
    return codes


def _operation(route: ApiRoute, schemas: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": route.summary, "operationId": route.handler.__name__}
    params = _path_params(route.path) + [
        {"name": n, "in": "query", "required": False, "description": d, "schema": {"type": "string"}}
        for n, d in route.query
    ]
    if params:
        op["parameters"] = params
    if route.roles is not None:
        op["security"] = [{"bearer": []}]
        op["x-roles"] = list(route.roles)
    if route.request is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema_ref(route.request, schemas)}},
        }
    ok: dict[str, Any] = {"description": "success"}
    if route.response is not None:
        ok["content"] = {"application/json": {"schema": _schema_ref(route.response, schemas)}}
    responses: dict[str, Any] = {str(code): ok for code in sorted({route.status, *route.also})}
    codes = set(route.errors) | _implied_errors(route)
    for code in sorted(codes):
        responses[str(code)] = {
            "description": "error",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    op["responses"] = responses
    return op


def openapi_document(routes: Iterable[ApiRoute], *, version: str) -> dict[str, Any]:
    schemas: dict[str, Any] = {"Error": _ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Helpline API", "version": version},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
