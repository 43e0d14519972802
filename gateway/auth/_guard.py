"""Bearer-token authentication and role checks, applied per route from the route table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from gateway.auth._tokens import Grant, Principal, TokenService
from gateway.auth.errors import TokenError, TokenRevoked
from gateway.web import Forbidden, Unauthorized

__all__ = ["GRANT", "PRINCIPAL", "TOKENS", "guard", "principal_of"]

PRINCIPAL = web.RequestKey("principal", Principal)
GRANT = web.RequestKey("grant", Grant)
TOKENS = web.AppKey("tokens", TokenService)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def principal_of(request: web.Request) -> Principal:
    return request[PRINCIPAL]


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "send 'Authorization: Bearer <token>' (get one from POST /api/v1/auth/login)",
            error_id="missing_token",
        )
    return token.strip()


def guard(handler: Handler, roles: tuple[str, ...]) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            grant = request.app[TOKENS].read(_bearer(request))
        except TokenRevoked as exc:
            raise Unauthorized(str(exc), error_id="revoked_token") from None
        except TokenError as exc:
            raise Unauthorized(str(exc), error_id="invalid_token") from None
        principal = grant.principal
        if principal.role not in roles:
            raise Forbidden(
                f"role {principal.role!r} may not do this",
                error_id="forbidden",
                details={"allowed_roles": list(roles)},
            )
        request[PRINCIPAL] = principal
        request[GRANT] = grant
        return await handler(request)

    guarded.__name__ = handler.__name__
    return guarded
