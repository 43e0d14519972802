"""Who is calling: password checks against the configuration, signed bearer tokens, roles, and the guard
that checks a route's token and role before its handler runs."""

from __future__ import annotations

from gateway.auth._guard import PRINCIPAL, TOKENS, guard, principal_of
from gateway.auth._tokens import Principal, TokenError, TokenService, load_or_create_secret
from gateway.auth._users import UserDirectory

__all__ = [
    "PRINCIPAL",
    "TOKENS",
    "Principal",
    "TokenError",
    "TokenService",
    "UserDirectory",
    "guard",
    "load_or_create_secret",
    "principal_of",
]
