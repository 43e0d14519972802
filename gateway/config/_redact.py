"""Secrets out of what leaves the process: values under secret-sounding keys, passwords inside URLs.

Generic by key name, so a secret added to the configuration later is hidden without anyone remembering to.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["REDACTED", "is_secret_key", "redact_secrets", "secret_values"]

REDACTED = "<redacted>"
_SECRET_WORDS = re.compile(r"(^|_)(password|passwd|secret|token|key|credentials?|hash)(_|$)", re.IGNORECASE)
_URL_PASSWORD = re.compile(
    r"(?P<head>[a-z][a-z0-9+.-]*://[^/:@\s]*:)(?P<password>[^@\s/]+)(?=@)", re.IGNORECASE
)


def is_secret_key(name: str) -> bool:
    """`crm.token`, `webhook_secret`, `password_hash`, `encryption_key_file`... but not `token_ttl_seconds`'s
    number: only text under such a key is a secret."""
    return bool(_SECRET_WORDS.search(name))


def redact_secrets(data: Any) -> Any:
    """A copy of JSON-shaped `data` with every secret replaced by `<redacted>`."""
    if isinstance(data, dict):
        return {k: REDACTED if _hides(k, v) else redact_secrets(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [redact_secrets(v) for v in data]
    if isinstance(data, str):
        return _URL_PASSWORD.sub(r"\g<head>***", data)
    return data


def secret_values(data: Any) -> set[str]:
    """Every secret text in JSON-shaped `data` (what `redact_secrets` hides), for masking log lines."""
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            found |= {value} if _hides(key, value) else secret_values(value)
    elif isinstance(data, list | tuple):
        for value in data:
            found |= secret_values(value)
    elif isinstance(data, str):
        found |= {m.group("password") for m in _URL_PASSWORD.finditer(data)}
    return {value for value in found if value}


def _hides(key: object, value: object) -> bool:
    return isinstance(key, str) and isinstance(value, str) and is_secret_key(key)
