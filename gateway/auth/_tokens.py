"""Signed bearer tokens (JWT, HS256) that carry the user id, role and a token id that can be revoked."""

from __future__ import annotations

import os
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import jwt

from gateway.auth.errors import TokenError, TokenRevoked

__all__ = ["Grant", "Principal", "RevocationCheck", "TokenService", "load_or_create_secret"]

_ISSUER = "helpline"


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    role: str
    name: str

    def is_staff(self) -> bool:
        return self.role in ("supervisor", "admin")


@dataclass(frozen=True, slots=True)
class Grant:
    """A verified token: who, its id (what a revocation names), and when it was issued and expires."""

    principal: Principal
    token_id: str
    issued_at: float  # epoch seconds, sub-second: a token issued just after a revocation is not revoked
    expires_at: int


class RevocationCheck(Protocol):
    def is_revoked(self, grant: Grant) -> bool: ...


class TokenService:
    def __init__(
        self,
        *,
        secret: bytes,
        ttl_seconds: int,
        revocations: RevocationCheck | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(secret) < 32:
            raise ValueError("token secret must be at least 32 bytes")
        if ttl_seconds <= 0:
            raise ValueError("token ttl_seconds must be > 0")
        self._secret = secret
        self._ttl = ttl_seconds
        self._revocations = revocations
        self._clock = clock

    @property
    def ttl_seconds(self) -> int:
        return self._ttl

    def issue(self, principal: Principal) -> str:
        now = self._clock()
        claims = {
            "sub": principal.user_id,
            "role": principal.role,
            "name": principal.name,
            "jti": uuid.uuid4().hex,
            "iat": round(now, 6),
            "exp": int(now) + self._ttl,
            "iss": _ISSUER,
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def read(self, token: str) -> Grant:
        """The token's grant; TokenError if forged, malformed or expired, TokenRevoked if revoked."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                issuer=_ISSUER,
                options={"require": ["sub", "role", "exp", "iat", "iss", "jti"], "verify_iat": False},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("the token has expired; log in again") from None
        except jwt.InvalidTokenError:
            raise TokenError("the token is not valid") from None
        principal = Principal(
            user_id=str(claims["sub"]), role=str(claims["role"]), name=str(claims.get("name", ""))
        )
        grant = Grant(principal, str(claims["jti"]), float(claims["iat"]), int(claims["exp"]))
        if self._revocations is not None and self._revocations.is_revoked(grant):
            raise TokenRevoked("the token has been revoked; log in again")
        return grant

    def verify(self, token: str) -> Principal:
        return self.read(token).principal

    def is_valid(self, grant: Grant) -> bool:
        """Whether a grant read earlier still holds now: not expired, not revoked since."""
        if grant.expires_at <= self._clock():
            return False
        return self._revocations is None or not self._revocations.is_revoked(grant)


def load_or_create_secret(data_dir: Path) -> bytes:
    """The signing secret lives in the data directory so tokens survive a restart."""
    path = data_dir / "token-secret"
    if path.exists():
        return path.read_bytes()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secret)
    return secret
