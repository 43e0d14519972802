"""Signed bearer tokens (JWT, HS256) that carry the user id and role."""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import jwt

__all__ = ["Principal", "TokenError", "TokenService", "load_or_create_secret"]

_ISSUER = "helpline"


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    role: str
    name: str

    def is_staff(self) -> bool:
        return self.role in ("supervisor", "admin")


class TokenError(Exception):
    """The token is missing, malformed, forged or expired; the message says which."""


class TokenService:
    def __init__(self, *, secret: bytes, ttl_seconds: int) -> None:
        if len(secret) < 32:
            raise ValueError("token secret must be at least 32 bytes")
        if ttl_seconds <= 0:
            raise ValueError("token ttl_seconds must be > 0")
        self._secret = secret
        self._ttl = ttl_seconds

    def issue(self, principal: Principal) -> str:
        now = int(time.time())
        claims = {
            "sub": principal.user_id,
            "role": principal.role,
            "name": principal.name,
            "iat": now,
            "exp": now + self._ttl,
            "iss": _ISSUER,
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                issuer=_ISSUER,
                options={"require": ["sub", "role", "exp", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("the token has expired; log in again") from None
        except jwt.InvalidTokenError:
            raise TokenError("the token is not valid") from None
        return Principal(
            user_id=str(claims["sub"]), role=str(claims["role"]), name=str(claims.get("name", ""))
        )


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
