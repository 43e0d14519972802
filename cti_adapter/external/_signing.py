"""Webhook signatures: HMAC-SHA256 over `"{timestamp}.{body}"`, checked within a replay window.

Sent as `X-Helpline-Timestamp: 1714561200` and `X-Helpline-Signature: sha256=<hex>`. A receiver recomputes
the HMAC with the shared secret, compares in constant time, and refuses timestamps outside the window.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "sign", "verify_signature"]

TIMESTAMP_HEADER = "X-Helpline-Timestamp"
SIGNATURE_HEADER = "X-Helpline-Signature"


def sign(secret: str | bytes, timestamp: int, body: bytes) -> str:
    """The `X-Helpline-Signature` value for `body` sent at `timestamp` (Unix seconds)."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, str(timestamp).encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str | bytes, timestamp: str, body: bytes, signature: str, now: float, window: float = 300
) -> bool:
    """True when `signature` is ours for `body` at `timestamp`, and `timestamp` is within `window` s of `now`.

    A replayed request (an old timestamp) and a request from the future both fail, as does any change
    to the body or the timestamp.
    """
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > window:
        return False
    return hmac.compare_digest(sign(secret, sent_at, body), signature.strip())
