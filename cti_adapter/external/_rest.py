"""`RestCrm`: the adapter contract over an external CRM's REST API (see the package README for the API).

Lookups retry once on a network failure or a server error within their time budget (not after a timeout:
a slow CRM is not asked the same twice); writes are not retried here, the
outbox retries them with the entry's idempotency key.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import aiohttp

from cti_adapter._codec import (
    activity_to_json,
    case_from_json,
    customer_from_json,
    entitlement_from_json,
    new_case_to_json,
)
from cti_adapter._contract import (
    DEFAULT_LEVELS,
    Activity,
    Case,
    CaseAttachment,
    CaseStatus,
    CustomerMatch,
    Entitlement,
    Lookup,
    NewCase,
    best_entitlement,
)
from cti_adapter.errors import CaseNotFound, CrmRejected, CrmUnavailable, CustomerNotFound
from cti_adapter.external._http import failure_for, translated_errors

__all__ = ["RestCrm"]

logger = logging.getLogger("helpline.cti.rest")

_LOOKUP_RETRY_DELAY = 0.1


class RestCrm:
    """An external CRM at `base_url`, authenticated with a bearer `token`.

    Every request is bounded by `timeout` seconds. Call `close()` when done (the app's cleanup does).
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 2.0,
        levels: Sequence[str] = DEFAULT_LEVELS,
        lookup_attempts: int = 2,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"crm: base_url must be an http(s) URL, got {base_url!r}")
        if timeout <= 0:
            raise ValueError(f"crm: timeout_seconds must be > 0, got {timeout}")
        if lookup_attempts < 1:
            raise ValueError(f"crm: lookup_attempts must be >= 1, got {lookup_attempts}")
        self._base = base_url.rstrip("/")
        self._headers = {"Accept": "application/json", "User-Agent": "helpline-cti"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._levels = tuple(level.lower() for level in levels)
        self._lookup_attempts = lookup_attempts
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    # -- the adapter contract

    async def find_customer(self, by: Lookup) -> CustomerMatch | None:
        data = await self._get("/customers", {by.kind.value: by.value}, what="customer lookup")
        items = _items(data)
        if not items:
            return None
        return CustomerMatch(customer_from_json(items[0]), by.kind, others=len(items) - 1)

    async def entitlement(
        self, customer_id: str, product: str | None = None, at: datetime | None = None
    ) -> Entitlement | None:
        data = await self._get(
            f"/customers/{quote(customer_id, safe='')}/entitlements",
            {},
            what="entitlements",
            not_found=CustomerNotFound(customer_id),
        )
        found = [entitlement_from_json(item) for item in _items(data)]
        return best_entitlement(found, product, at or datetime.now(UTC), self._levels)

    async def open_cases(self, customer_id: str) -> Sequence[Case]:
        data = await self._get(
            f"/customers/{quote(customer_id, safe='')}/cases",
            {"status": "open"},
            what="open cases",
            not_found=CustomerNotFound(customer_id),
        )
        found = [case_from_json(item) for item in _items(data)]
        return sorted(
            (c for c in found if c.status is not CaseStatus.CLOSED), key=lambda c: c.updated_at, reverse=True
        )

    async def open_case(self, new: NewCase, *, idempotency_key: str | None = None) -> Case:
        return (await self._post_case(new, attach=False, key=idempotency_key)).case

    async def attach_case(self, new: NewCase, *, idempotency_key: str | None = None) -> CaseAttachment:
        return await self._post_case(new, attach=True, key=idempotency_key)

    async def log_activity(
        self, case_id: str, activity: Activity, *, idempotency_key: str | None = None
    ) -> None:
        await self._send(
            "POST",
            f"/cases/{quote(case_id, safe='')}/activities",
            activity_to_json(activity),
            what="activity log",
            key=idempotency_key,
            not_found=CaseNotFound(case_id),
        )

    async def link_transcript(
        self, case_id: str, interaction_id: str, transcript_url: str, *, idempotency_key: str | None = None
    ) -> None:
        await self._send(
            "PATCH",
            f"/cases/{quote(case_id, safe='')}/activities/{quote(interaction_id, safe='')}",
            {"transcript_url": transcript_url},
            what="transcript link",
            key=idempotency_key,
            not_found=CaseNotFound(case_id),
        )

    async def update_case(
        self,
        case_id: str,
        *,
        disposition: str | None = None,
        notes: str | None = None,
        status: CaseStatus | None = None,
        idempotency_key: str | None = None,
    ) -> Case:
        body = {
            k: v
            for k, v in (
                ("disposition", disposition),
                ("notes", notes),
                ("status", status.value if status else None),
            )
            if v is not None
        }
        data = await self._send(
            "PATCH",
            f"/cases/{quote(case_id, safe='')}",
            body,
            what="case update",
            key=idempotency_key,
            not_found=CaseNotFound(case_id),
        )
        return case_from_json(_object(data, "case update"))

    # -- HTTP

    async def _post_case(self, new: NewCase, *, attach: bool, key: str | None) -> CaseAttachment:
        body = {**new_case_to_json(new), "attach": attach}
        data = _object(
            await self._send(
                "POST",
                "/cases",
                body,
                what="case write",
                key=key,
                not_found=CustomerNotFound(new.customer_id),
            ),
            "case write",
        )
        case_data = data.get("case", data)
        return CaseAttachment(
            case_from_json(_object(case_data, "case write")), bool(data.get("attached", False))
        )

    async def _get(
        self, path: str, params: Mapping[str, str], *, what: str, not_found: Exception | None = None
    ) -> Any:
        for attempt in range(1, self._lookup_attempts + 1):
            try:
                return await self._request("GET", path, what=what, params=params, not_found=not_found)
            except CrmUnavailable as exc:
                if attempt == self._lookup_attempts or exc.timed_out:
                    raise  # a CRM too slow to answer is not asked the same again: it would only be slower
                logger.info("CRM %s: attempt %d failed (%s), retrying", what, attempt, exc.reason)
                await asyncio.sleep(_LOOKUP_RETRY_DELAY * attempt)
        raise AssertionError("unreachable")

    async def _send(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any],
        *,
        what: str,
        key: str | None,
        not_found: Exception,
    ) -> Any:
        headers = {"Idempotency-Key": key} if key else {}
        return await self._request(method, path, what=what, body=body, headers=headers, not_found=not_found)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        not_found: Exception | None = None,
    ) -> Any:
        session = self._session_now()
        async with (
            translated_errors(f"CRM {what}"),
            session.request(
                method, self._base + path, params=params, json=body, headers=headers, timeout=self._timeout
            ) as response,
        ):
            text = await response.text()
            if response.status == 404 and not_found is not None:
                raise not_found
            if response.status >= 300:
                raise failure_for(response.status, text, f"CRM {what}")
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise CrmRejected(response.status, f"CRM {what}: the answer is not JSON") from None

    def _session_now(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers)
        return self._session


def _items(data: Any) -> list[Mapping[str, Any]]:
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise CrmRejected(200, 'expected a list of objects (or {"items": [...]}) from the CRM')
    return items


def _object(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise CrmRejected(200, f"CRM {what}: expected a JSON object")
    return data
