"""API errors and the one middleware that turns every failure into `{error_id, message, details}`.

ApiError                      an HTTP status, a stable error_id slug, a message and details
  BadRequest (400)            malformed JSON, wrong types, unknown fields
  Unauthorized (401)          no token, a bad or expired token, wrong credentials
  Forbidden (403)             the role may not do this
  NotFound (404)              no such object
  Conflict (409)              the object is not in a state that allows this

Handlers raise ApiErrors for what only HTTP knows, and let domain exceptions (a routing error, a CRM error)
through: each package's `http.py` lists how its domain exceptions leave the API (`ErrorMapping`), and the
composition root hands those tables to `error_middleware_for`, once. The middleware always answers 503
`database_unavailable` for `gateway.storage.DatabaseUnavailable`; `error_middleware` is it with no other
mapping.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiohttp import web
from aiohttp.typedefs import Middleware
from pydantic import ValidationError

from gateway.config import format_path
from gateway.storage import DatabaseUnavailable

__all__ = [
    "ApiError",
    "BadRequest",
    "Conflict",
    "ErrorMapping",
    "Forbidden",
    "NotFound",
    "Unauthorized",
    "error_middleware",
    "error_middleware_for",
    "validation_details",
]

logger = logging.getLogger("helpline.web")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
E = TypeVar("E", bound=Exception)


class ApiError(Exception):
    status = 500
    error_id = "internal_error"

    def __init__(
        self, message: str, *, error_id: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if error_id is not None:
            self.error_id = error_id
        self.details = details or {}

    def response(self) -> web.Response:
        return _json_error(self.status, self.error_id, self.message, self.details)


class BadRequest(ApiError):
    status = 400
    error_id = "bad_request"


class Unauthorized(ApiError):
    status = 401
    error_id = "unauthorized"


class Forbidden(ApiError):
    status = 403
    error_id = "forbidden"


class NotFound(ApiError):
    status = 404
    error_id = "not_found"


class Conflict(ApiError):
    status = 409
    error_id = "conflict"


def validation_details(exc: ValidationError) -> dict[str, Any]:
    errors = [
        {"field": format_path([p for p in e["loc"] if p != "body"]) or "(body)", "problem": e["msg"]}
        for e in exc.errors(include_url=False)
    ]
    return {"errors": errors}


def _json_error(
    status: int,
    error_id: str,
    message: str,
    details: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> web.Response:
    body = {"error_id": error_id, "message": message, "details": details}
    return web.Response(
        status=status, text=json.dumps(body), content_type="application/json", headers=headers
    )


def _no_headers(_exc: Exception) -> dict[str, str]:
    return {}


def _no_details(_exc: Exception) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, slots=True)
class ErrorMapping(Generic[E]):
    """How one domain exception class leaves the API: its status, stable error_id and details.

    The message is the exception's own text. An exception without a mapping of its own takes its nearest
    mapped base class's.
    """

    exception: type[E]
    status: int
    error_id: str
    details: Callable[[E], dict[str, Any]] = _no_details
    headers: Callable[[E], dict[str, str]] = _no_headers

    def __post_init__(self) -> None:
        if not 400 <= self.status <= 599:
            raise ValueError(f"{self.exception.__name__}: status must be 400..599, got {self.status}")
        if not self.error_id:
            raise ValueError(f"{self.exception.__name__}: error_id must not be empty")

    def response(self, exc: E) -> web.Response:
        return _json_error(self.status, self.error_id, str(exc), self.details(exc), self.headers(exc))


_DATABASE = ErrorMapping(DatabaseUnavailable, 503, "database_unavailable")

_HTTP_IDS = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large", 400: "bad_request"}


def error_middleware_for(*tables: Iterable[ErrorMapping[Any]]) -> Middleware:
    """The error middleware, answering each domain exception the `tables` map as its mapping says.

    A class mapped twice is refused with ValueError: one exception, one answer.
    """
    mappings: dict[type[Exception], ErrorMapping[Any]] = {}
    for mapping in (_DATABASE, *(m for table in tables for m in table)):
        if mapping.exception in mappings:
            raise ValueError(f"{mapping.exception.__qualname__} is mapped to an API error twice")
        mappings[mapping.exception] = mapping

    def mapped(exc: Exception) -> ErrorMapping[Any] | None:
        return next((mappings[c] for c in type(exc).__mro__ if c in mappings), None)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as exc:
            return exc.response()
        except web.HTTPRequestEntityTooLarge as exc:
            return _json_error(
                413,
                "body_too_large",
                "the request body is too large",
                {"max_bytes": exc.max_size if hasattr(exc, "max_size") else None},
            )
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            error_id = _HTTP_IDS.get(exc.status, "http_error")
            details: dict[str, Any] = {"path": request.path}
            headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
            if isinstance(exc, web.HTTPMethodNotAllowed):
                details["allowed_methods"] = sorted(exc.allowed_methods)
            return _json_error(exc.status, error_id, exc.reason, details, headers)
        except Exception as exc:
            mapping = mapped(exc)
            if mapping is None:
                logger.exception("unhandled error on %s %s", request.method, request.path)
                return _json_error(500, "internal_error", "the server could not complete the request", {})
            if mapping.status >= 500:
                logger.warning("%s %s: %s", request.method, request.path, exc)
            return mapping.response(exc)

    return middleware


error_middleware = error_middleware_for()
