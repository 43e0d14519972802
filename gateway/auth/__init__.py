"""Who is calling: password checks against the configuration, signed bearer tokens that can be revoked,
login throttling, roles, and the guard that checks a route's token and role before its handler runs."""

from __future__ import annotations

from gateway.auth._guard import GRANT, PRINCIPAL, TOKENS, guard, principal_of
from gateway.auth._revocations import RevocationList, metadata
from gateway.auth._throttle import LoginLimits, LoginThrottle
from gateway.auth._tokens import Grant, Principal, TokenService, load_or_create_secret
from gateway.auth._users import UserDirectory
from gateway.auth.errors import AuthError, LoginThrottled, TokenError, TokenRevoked

__all__ = [
    "GRANT",
    "PRINCIPAL",
    "TOKENS",
    "AuthError",
    "Grant",
    "LoginLimits",
    "LoginThrottle",
    "LoginThrottled",
    "Principal",
    "RevocationList",
    "TokenError",
    "TokenRevoked",
    "TokenService",
    "UserDirectory",
    "guard",
    "load_or_create_secret",
    "metadata",
    "principal_of",
]
