"""The HTTP edge: route table + OpenAPI, JSON errors (the bearer-token guard is `gateway.auth`'s)."""

from __future__ import annotations

from gateway.web._routes import ApiRoute, json_response, openapi_document, read_body
from gateway.web.errors import (
    ApiError,
    BadRequest,
    Conflict,
    ErrorMapping,
    Forbidden,
    NotFound,
    Unauthorized,
    error_middleware,
    error_middleware_for,
)

__all__ = [
    "ApiError",
    "ApiRoute",
    "BadRequest",
    "Conflict",
    "ErrorMapping",
    "Forbidden",
    "NotFound",
    "Unauthorized",
    "error_middleware",
    "error_middleware_for",
    "json_response",
    "openapi_document",
    "read_body",
]
