"""REST handlers for logging in and out and for revoking a user's tokens; how auth errors leave the API."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth._guard import GRANT
from gateway.auth._revocations import RevocationList
from gateway.auth._throttle import LoginThrottle
from gateway.auth._tokens import TokenService
from gateway.auth._users import UserDirectory
from gateway.auth.errors import LoginThrottled
from gateway.web import ApiRoute, ErrorMapping, NotFound, Unauthorized, json_response, read_body

__all__ = ["ERRORS", "LoginRequest", "LoginResponse", "RevokeRequest", "RevokeResponse", "UserInfo", "routes"]

ERRORS: tuple[ErrorMapping[Any], ...] = (
    ErrorMapping(
        LoginThrottled,
        429,
        "too_many_logins",
        lambda e: {"scope": e.scope, "retry_after_seconds": e.retry_after},
        lambda e: {"Retry-After": str(e.retry_after)},
    ),
)
"""How the auth package's errors leave the API (given to the error middleware by the composition root)."""


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class UserInfo(BaseModel):
    id: str
    name: str
    role: str


class LoginResponse(BaseModel):
    token: str
    role: str
    user: UserInfo
    expires_in: int = Field(description="seconds until the token expires")


class RevokeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: str = Field(min_length=1, max_length=64)


class RevokeResponse(BaseModel):
    user_id: str
    revoked_at: float = Field(description="tokens issued at or before this time (epoch seconds) are revoked")


def routes(
    users: UserDirectory, tokens: TokenService, throttle: LoginThrottle, revocations: RevocationList
) -> list[ApiRoute]:
    async def login(request: web.Request) -> web.StreamResponse:
        body = await read_body(request, LoginRequest)
        address = request.remote or "unknown"
        throttle.check(body.username, address)
        # argon2 is deliberately slow: keep it off the event loop.
        principal = await asyncio.get_running_loop().run_in_executor(
            None, users.authenticate, body.username, body.password
        )
        if principal is None:
            throttle.failed(body.username, address)
            raise Unauthorized("wrong user name or password", error_id="bad_credentials")
        throttle.succeeded(body.username)
        user = UserInfo(id=principal.user_id, name=principal.name, role=principal.role)
        return json_response(
            LoginResponse(
                token=tokens.issue(principal), role=principal.role, user=user, expires_in=tokens.ttl_seconds
            )
        )

    async def logout(request: web.Request) -> web.StreamResponse:
        await revocations.revoke_token(request[GRANT])
        return web.Response(status=204)

    async def revoke_user(request: web.Request) -> web.StreamResponse:
        body = await read_body(request, RevokeRequest)
        if users.get(body.user_id) is None:
            raise NotFound(f"no user {body.user_id!r}", details={"user_id": body.user_id})
        revoked_at = await revocations.revoke_user(body.user_id)
        return json_response(RevokeResponse(user_id=body.user_id, revoked_at=revoked_at))

    return [
        ApiRoute(
            "POST",
            "/api/v1/auth/login",
            login,
            "Log in with a user name and password; returns a bearer token",
            roles=None,
            request=LoginRequest,
            response=LoginResponse,
            errors=(401, 429),
        ),
        ApiRoute(
            "POST",
            "/api/v1/auth/logout",
            logout,
            "Log out: revoke the token this request carries (its sockets are disconnected)",
            roles=("agent", "supervisor", "admin", "integration"),
            status=204,
            errors=(503,),
        ),
        ApiRoute(
            "POST",
            "/api/v1/auth/revocations",
            revoke_user,
            "Revoke every token a user holds now (they must log in again; their sockets are disconnected)",
            roles=("admin",),
            request=RevokeRequest,
            response=RevokeResponse,
            errors=(404, 503),
        ),
    ]
