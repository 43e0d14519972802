"""Screen pops and case logging for routed interactions.

The CRM is asked who the customer is as soon as an interaction arrives, in the background, so neither
routing nor the offer ever waits for it: the pop shows what is known when the offer goes out, and its
`screen_pop` webhook is queued in the background, never on the offer's way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cti_adapter import Activity, CallerContext, CaseRef, CtiService, build_screen_pop
from gateway.acd import AttributeValue

__all__ = ["ScreenPops"]

logger = logging.getLogger("helpline.cti")

# Attribute names the IVR, the chat widget or an integration use for who the customer is.
_PHONE_KEYS = ("caller", "phone", "customer.phone")
_ACCOUNT_KEYS = ("account_number", "account", "customer.account_number")
_EMAIL_KEYS = ("email", "customer.email")
_SUBJECT_KEYS = ("intent", "subject", "topic", "reason")


def _first(attributes: Mapping[str, AttributeValue], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, str) and value:
            return value
    return None


@dataclass(frozen=True, slots=True)
class _Known:
    context: CallerContext
    case: CaseRef | None
    subject: str


class ScreenPops:
    def __init__(self, service: CtiService, *, render_wait_seconds: float = 0.02) -> None:
        self._service = service
        self._render_wait = render_wait_seconds
        self._lookups: dict[str, asyncio.Task[_Known]] = {}
        self._attributes: dict[str, dict[str, str]] = {}
        self._publishing: set[asyncio.Task[None]] = set()

    def begin(self, interaction_id: str, attributes: Mapping[str, AttributeValue], *, queue: str) -> None:
        """Start identifying the customer and filing the case; returns at once."""
        self._attributes[interaction_id] = {k: str(v) for k, v in attributes.items()}
        self._lookups[interaction_id] = asyncio.create_task(
            self._identify(interaction_id, attributes, queue), name=f"cti-lookup-{interaction_id}"
        )

    async def _identify(
        self, interaction_id: str, attributes: Mapping[str, AttributeValue], queue: str
    ) -> _Known:
        context = await self._service.identify(
            caller=_first(attributes, _PHONE_KEYS),
            account=_first(attributes, _ACCOUNT_KEYS),
            email=_first(attributes, _EMAIL_KEYS),
        )
        subject = _first(attributes, _SUBJECT_KEYS) or queue
        case: CaseRef | None = None
        try:
            case = await self._service.file_case(interaction_id, context, subject)
        except Exception:
            logger.exception("could not file a case for interaction %s", interaction_id)
        return _Known(context, case, subject)

    async def _known(self, interaction_id: str) -> _Known | None:
        # A lookup this close to done is worth a few ms; a slow CRM is not.
        if not await self.settled(interaction_id, within=self._render_wait):
            return None
        task = self._lookups[interaction_id]
        return None if task.exception() is not None else task.result()

    def pending(self, interaction_id: str) -> bool:
        task = self._lookups.get(interaction_id)
        return task is not None and not task.done()

    async def settled(self, interaction_id: str, *, within: float) -> bool:
        """Wait (bounded) for the lookup to finish; True when it did."""
        task = self._lookups.get(interaction_id)
        if task is None:
            return False
        with suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), within)
        return task.done() and not task.cancelled()

    async def pop(
        self, interaction_id: str, *, channel: str, queue: str, wait_seconds: float
    ) -> dict[str, Any] | None:
        """The pop as known now (after a bounded wait); its webhook is queued in the background."""
        if interaction_id not in self._lookups:
            return None
        known = await self._known(interaction_id)
        context = (
            known.context
            if known
            else CallerContext(
                crm_unavailable=True, unavailable_reason="the customer lookup has not finished yet"
            )
        )
        ivr = self._attributes.get(interaction_id, {})
        pop = build_screen_pop(
            interaction_id,
            context,
            created_at=datetime.now(UTC),
            channel=channel,
            queue=queue,
            wait_seconds=max(wait_seconds, 0.0),
            ivr=ivr,
            sensitive=(),
            intent=ivr.get("intent"),
            case=known.case if known else None,
        ).model_dump(mode="json")
        self._publishing.add(task := asyncio.create_task(self._service.publish("screen_pop", pop)))
        task.add_done_callback(self._publishing.discard)
        return pop

    async def finish(
        self, interaction_id: str, activity: Activity, *, disposition: str | None, notes: str | None
    ) -> None:
        """Log the finished interaction on its case with the agent's disposition and notes."""
        known = await self._known(interaction_id)
        self.forget(interaction_id)
        if known is None or known.case is None:
            return
        await self._service.log_activity(known.case, activity)
        if disposition is not None or notes is not None:
            await self._service.update_case(known.case, disposition=disposition, notes=notes)

    async def close(self) -> None:
        """Let the pop webhooks still being queued reach the outbox."""
        if self._publishing:
            await asyncio.gather(*self._publishing, return_exceptions=True)

    def forget(self, interaction_id: str) -> None:
        task = self._lookups.pop(interaction_id, None)
        self._attributes.pop(interaction_id, None)
        if task is not None and not task.done():
            task.cancel()


def activity_for(
    *,
    channel: str,
    queue: str,
    agent_id: str | None,
    created_at: float,
    answered_at: float | None,
    ended_at: float,
    interaction_id: str,
    disposition: str | None,
    notes: str | None,
) -> Activity:
    start = answered_at if answered_at is not None else ended_at
    return Activity(
        channel=channel,
        started_at=datetime.fromtimestamp(created_at, tz=UTC),
        interaction_id=interaction_id,
        wait_seconds=max(0.0, start - created_at),
        talk_seconds=max(0.0, ended_at - start),
        queue=queue,
        agent_id=agent_id,
        disposition=disposition,
        notes=notes,
    )
