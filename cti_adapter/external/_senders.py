"""Outbox senders: case writes to the external CRM, and signed webhooks for every CTI event."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import aiohttp

from cti_adapter._codec import activity_from_json, new_case_from_json
from cti_adapter._contract import CaseStatus
from cti_adapter._outbox import OutboxEntry
from cti_adapter.errors import CrmRejected
from cti_adapter.external._http import failure_for, translated_errors
from cti_adapter.external._rest import RestCrm
from cti_adapter.external._signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

__all__ = ["CaseWriteSender", "WebhookSender"]


class CaseWriteSender:
    """Delivers `attach_case`, `log_activity`, `link_transcript` and `update_case` outbox entries to a
    RestCrm."""

    def __init__(self, crm: RestCrm) -> None:
        self._crm = crm

    async def __call__(self, entry: OutboxEntry, case_id: str | None) -> str | None:
        payload, key = entry.payload, entry.key
        if entry.kind == "attach_case":
            attachment = await self._crm.attach_case(new_case_from_json(payload), idempotency_key=key)
            return attachment.case.id
        target = case_id or payload.get("case_id")
        if not isinstance(target, str):
            raise CrmRejected(0, f"outbox {entry.kind} {key}: no case id")
        if entry.kind == "log_activity":
            await self._crm.log_activity(target, activity_from_json(payload["activity"]), idempotency_key=key)
            return target
        if entry.kind == "link_transcript":
            iid, url = payload["interaction_id"], payload["transcript_url"]
            await self._crm.link_transcript(target, iid, url, idempotency_key=key)
            return target
        if entry.kind == "update_case":
            status = payload.get("status")
            await self._crm.update_case(
                target,
                disposition=payload.get("disposition"),
                notes=payload.get("notes"),
                status=CaseStatus(status) if status else None,
                idempotency_key=key,
            )
            return target
        raise CrmRejected(0, f"outbox entry {key}: unknown kind {entry.kind!r}")


class WebhookSender:
    """POSTs each event as JSON to `url`, signed with `secret` (see `verify_signature`).

    The body is `{"id", "type", "created_at", "data"}`; `id` is also sent as `Idempotency-Key` so a receiver
    can drop a repeat delivery.
    """

    def __init__(
        self, url: str, secret: str, *, timeout: float = 5.0, clock: Callable[[], float] = time.time
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"crm: webhook_url must be an http(s) URL, got {url!r}")
        if len(secret) < 16:
            raise ValueError("crm: webhook_secret must have at least 16 characters")
        if timeout <= 0:
            raise ValueError(f"crm: webhook timeout must be > 0, got {timeout}")
        self._url, self._secret = url, secret
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def __call__(self, entry: OutboxEntry, case_id: str | None) -> str | None:
        body = json.dumps(
            {
                "id": entry.key,
                "type": entry.kind,
                "created_at": entry.created_at.isoformat(),
                "data": dict(entry.payload),
            },
            separators=(",", ":"),
        ).encode()
        timestamp = int(self._clock())
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": entry.key,
            "X-Helpline-Event": entry.kind,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
        }
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        async with (
            translated_errors(f"webhook {entry.kind}"),
            self._session.post(self._url, data=body, headers=headers, timeout=self._timeout) as response,
        ):
            text = await response.text()
            if response.status >= 300:
                raise failure_for(response.status, text, f"webhook {entry.kind}")
        return None
