"""Who is calling: password checks against the configuration, signed bearer tokens, roles."""

from __future__ import annotations

from gateway.auth._tokens import Principal, TokenError, TokenService, load_or_create_secret
from gateway.auth._users import UserDirectory

__all__ = ["Principal", "TokenError", "TokenService", "UserDirectory", "load_or_create_secret"]
