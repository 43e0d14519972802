"""Builds the CTI side from the `crm:` configuration: adapter, outbox worker, service, REST routes."""

from __future__ import annotations

from cti_adapter._context import NoEntitlementPolicy
from cti_adapter._contract import CrmAdapter
from cti_adapter._delivery import OutboxWorker, Sender
from cti_adapter._outbox import Backoff, Lane, Outbox
from cti_adapter._service import CtiService, Dialer
from cti_adapter.builtin import BuiltinCrm
from cti_adapter.builtin._db import EngineSource
from cti_adapter.config import CrmConfig
from cti_adapter.external import CaseWriteSender, RestCrm, WebhookSender

__all__ = ["CtiRuntime"]


class CtiRuntime:
    """Everything `crm:` asks for, built once in the composition root; `start()`/`stop()` with the app.

    `builtin` is the BuiltinCrm when `kind: builtin` (the REST routes for customers and cases need it),
    None for an external CRM.
    """

    def __init__(self, config: CrmConfig, engine: EngineSource, *, dialer: Dialer | None = None) -> None:
        self.config = config
        self.builtin: BuiltinCrm | None = None
        self._rest: RestCrm | None = None
        self._webhooks: WebhookSender | None = None
        adapter: CrmAdapter
        senders: dict[Lane, Sender] = {}
        if config.kind == "rest":
            assert config.base_url is not None
            self._rest = RestCrm(
                config.base_url, token=config.token, timeout=config.timeout_seconds, levels=config.levels
            )
            adapter = self._rest
            senders[Lane.CRM] = CaseWriteSender(self._rest)
        else:
            self.builtin = BuiltinCrm(engine, default_region=config.default_region, levels=config.levels)
            adapter = self.builtin
        if config.webhook_url is not None and config.webhook_secret is not None:
            self._webhooks = WebhookSender(
                config.webhook_url, config.webhook_secret, timeout=config.timeout_seconds
            )
            senders[Lane.WEBHOOK] = self._webhooks
        backoff = Backoff(first=config.retry.first_delay_seconds, cap=config.retry.max_delay_seconds)
        self.worker = OutboxWorker(Outbox(engine), senders, backoff=backoff) if senders else None
        self.service = CtiService(
            adapter,
            self.worker,
            lookup_timeout=config.lookup_timeout_seconds,
            default_region=config.default_region,
            level_priority=config.level_priority,
            no_entitlement=NoEntitlementPolicy(
                config.no_entitlement.priority_delta, config.no_entitlement.queue
            ),
            dialer=dialer,
        )

    def start(self) -> None:
        """Start the outbox delivery (after the database has started)."""
        if self.worker is not None:
            self.worker.start()

    async def stop(self) -> None:
        if self.worker is not None:
            await self.worker.stop()
        for client in (self._rest, self._webhooks):
            if client is not None:
                await client.close()
