"""REST handlers for logging in."""

from __future__ import annotations

import asyncio

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth._tokens import TokenService
from gateway.auth._users import UserDirectory
from gateway.web import ApiRoute, Unauthorized, json_response, read_body

__all__ = ["LoginRequest", "LoginResponse", "UserInfo", "routes"]


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


def routes(users: UserDirectory, tokens: TokenService) -> list[ApiRoute]:
    async def login(request: web.Request) -> web.StreamResponse:
        body = await read_body(request, LoginRequest)
        # argon2 is deliberately slow: keep it off the event loop.
        principal = await asyncio.get_running_loop().run_in_executor(
            None, users.authenticate, body.username, body.password
        )
        if principal is None:
            raise Unauthorized("wrong user name or password", error_id="bad_credentials")
        user = UserInfo(id=principal.user_id, name=principal.name, role=principal.role)
        return json_response(LoginResponse(token=tokens.issue(principal), role=principal.role, user=user))

    return [
        ApiRoute(
            "POST",
            "/api/v1/auth/login",
            login,
            "Log in with a user name and password; returns a bearer token",
            roles=None,
            request=LoginRequest,
            response=LoginResponse,
            errors=(401,),
        )
    ]
