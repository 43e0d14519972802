"""Signed, expiring visitor tokens: a customer resumes their conversation after a reload without a login."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable

from gateway.chat.errors import BadVisitorToken

__all__ = ["VisitorTokens"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class VisitorTokens:
    """`issue(conversation_id)` -> token; `verify(token)` -> conversation_id or BadVisitorToken."""

    def __init__(self, *, secret: bytes, ttl_seconds: int, clock: Callable[[], float] = time.time) -> None:
        if len(secret) < 16:
            raise ValueError("visitor tokens: secret must be at least 16 bytes")
        if ttl_seconds <= 0:
            raise ValueError(f"visitor tokens: ttl_seconds must be > 0, got {ttl_seconds}")
        # a key of its own, so a visitor token can never pass as a staff token or the other way round
        self._key = hmac.new(secret, b"helpline chat visitor token", hashlib.sha256).digest()
        self._ttl = ttl_seconds
        self._clock = clock

    def issue(self, conversation_id: str) -> str:
        body = _b64(json.dumps({"c": conversation_id, "exp": int(self._clock()) + self._ttl}).encode())
        return f"{body}.{self._sign(body)}"

    def verify(self, token: object) -> str:
        if not isinstance(token, str) or not token.isascii() or token.count(".") != 1 or len(token) > 1024:
            raise BadVisitorToken("visitor token is malformed")
        body, signature = token.split(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            raise BadVisitorToken("visitor token signature does not match")
        try:
            claims = json.loads(_unb64(body))
        except ValueError:
            raise BadVisitorToken("visitor token is malformed") from None
        if not isinstance(claims, dict) or not isinstance(claims.get("c"), str):
            raise BadVisitorToken("visitor token is malformed")
        if not isinstance(claims.get("exp"), int) or claims["exp"] < self._clock():
            raise BadVisitorToken("visitor token has expired: start a new chat")
        return str(claims["c"])

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())
