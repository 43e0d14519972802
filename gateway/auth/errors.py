"""Exceptions raised by `gateway.auth`.

AuthError                base: who is calling could not be established or is not allowed now
 ├── TokenError          the token is missing, malformed, forged or expired; the message says which
 │    └── TokenRevoked   the token was valid but has been revoked (logout, or an administrator)
 └── LoginThrottled      too many failed logins for this user or from this address; `retry_after`
"""

from __future__ import annotations

__all__ = ["AuthError", "LoginThrottled", "TokenError", "TokenRevoked"]


class AuthError(Exception):
    """Authentication failed or is refused for now."""


class TokenError(AuthError):
    """The token is missing, malformed, forged or expired; the message says which."""


class TokenRevoked(TokenError):
    """The token was revoked before it expired."""


class LoginThrottled(AuthError):
    """Logins are refused for `retry_after` seconds; `scope` is what was limited ("user" or "address")."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(
            f"too many failed logins for this {scope}; try again in {retry_after} s",
        )
        self.scope = scope
        self.retry_after = retry_after
