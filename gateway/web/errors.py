"""API errors and the one middleware that turns every failure into `{error_id, message, details}`.

ApiError                      an HTTP status, a stable error_id slug, a message and details
  BadRequest (400)            malformed JSON, wrong types, unknown fields
  Unauthorized (401)          no token, a bad or expired token, wrong credentials
  Forbidden (403)             the role may not do this
  NotFound (404)              no such object
  Conflict (409)              the object is not in a state that allows this

The middleware also answers 503 `database_unavailable` for `gateway.storage.DatabaseUnavailable`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from gateway.config import format_path
from gateway.storage import DatabaseUnavailable

__all__ = [
    "ApiError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "Unauthorized",
    "error_middleware",
    "validation_details",
]

logger = logging.getLogger("helpline.web")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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


def _json_error(status: int, error_id: str, message: str, details: dict[str, Any]) -> web.Response:
    body = {"error_id": error_id, "message": message, "details": details}
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")


_HTTP_IDS = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large", 400: "bad_request"}


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
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
    except DatabaseUnavailable as exc:
        logger.warning("%s %s: %s", request.method, request.path, exc)
        return _json_error(503, "database_unavailable", str(exc), {})
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        error_id = _HTTP_IDS.get(exc.status, "http_error")
        return _json_error(exc.status, error_id, exc.reason, {"path": request.path})
    except Exception:
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return _json_error(500, "internal_error", "the server could not complete the request", {})
