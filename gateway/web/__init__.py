"""The HTTP edge: route table + OpenAPI, JSON errors, bearer-token guard."""

from __future__ import annotations

from gateway.web._guard import PRINCIPAL, TOKENS, guard, principal_of
from gateway.web._routes import ApiRoute, json_response, openapi_document, read_body
from gateway.web.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    error_middleware,
)

__all__ = [
    "PRINCIPAL",
    "TOKENS",
    "ApiError",
    "ApiRoute",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "Unauthorized",
    "error_middleware",
    "guard",
    "json_response",
    "openapi_document",
    "principal_of",
    "read_body",
]
