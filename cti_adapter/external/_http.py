"""What the external adapters share: turning HTTP outcomes into the package's errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from cti_adapter.errors import CrmRejected, CrmUnavailable

__all__ = ["RETRYABLE_STATUSES", "failure_for", "translated_errors"]

# The receiver may succeed later: timeouts, throttling and server errors.
RETRYABLE_STATUSES = frozenset({408, 425, 429})


def failure_for(status: int, body: str, what: str) -> CrmUnavailable | CrmRejected:
    detail = f"{what}: HTTP {status} {body[:200].strip()}".strip()
    if status >= 500 or status in RETRYABLE_STATUSES:
        return CrmUnavailable(detail)
    return CrmRejected(status, detail)


@asynccontextmanager
async def translated_errors(what: str) -> AsyncIterator[None]:
    """Network failures and timeouts become CrmUnavailable, naming `what` was being done."""
    try:
        yield
    except TimeoutError:
        raise CrmUnavailable(f"{what}: no answer in time", timed_out=True) from None
    except aiohttp.ClientError as exc:
        raise CrmUnavailable(f"{what}: {type(exc).__name__}: {exc}") from None
