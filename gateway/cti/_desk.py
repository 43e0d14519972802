"""The CRM desk of routed work: identification once per interaction, its case, its screen pop, its activity.

What the CRM said travels with the interaction as its `CustomerContext` (found by the IVR's `lookup`, or
here when work arrives unidentified), so the pop, the case and the activity read it and never ask again.
Filing the case runs in the background: neither routing nor the offer waits for it; the pop shows what is
known when the offer goes out, and its `screen_pop` webhook is queued in the background too.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

from cti_adapter import (
    Activity,
    CallerContext,
    CaseRef,
    CtiService,
    build_screen_pop,
    context_from_json,
    context_to_json,
)
from gateway.acd import JSON, AttributeValue, CustomerContext, InteractionView, NewInteraction
from gateway.acd_server.port import WorkDone

__all__ = ["CrmDesk", "customer_context"]

logger = logging.getLogger("helpline.cti")

# Attribute names the IVR, the chat widget or an integration use for who the customer is.
_PHONE_KEYS = ("caller", "phone", "customer.phone")
_ACCOUNT_KEYS = ("account_number", "account", "customer.account_number")
_EMAIL_KEYS = ("email", "customer.email")
_SUBJECT_KEYS = ("intent", "subject", "topic", "reason")
_REMEMBERED = 1024  # logged calls whose transcript may still come, and transcripts before their activity


def customer_context(context: CallerContext) -> CustomerContext:
    """The CRM's answer in the routing core's terms, the whole answer kept in `details` for the pop."""
    customer = context.customer
    return CustomerContext(
        customer_id=customer.id if customer else None,
        level=context.entitlement.level if context.entitlement else None,
        rule=context.rule,
        priority_delta=context.priority_delta,
        queue=context.queue,
        crm_unavailable=context.crm_unavailable,
        details=cast(dict[str, JSON], context_to_json(context)),
    )


def _first(attributes: Mapping[str, AttributeValue], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _caller_context(customer: CustomerContext | None) -> CallerContext:
    if customer is None:
        return CallerContext(crm_unavailable=True, unavailable_reason="the customer was not identified")
    return context_from_json(customer.details)


class CrmDesk:
    def __init__(self, service: CtiService, *, render_wait_seconds: float = 0.02) -> None:
        self._service = service
        self._render_wait = render_wait_seconds
        self._cases: dict[str, asyncio.Task[CaseRef | None]] = {}
        self._publishing: set[asyncio.Task[None]] = set()
        # A call's transcript is stored a while after the call, before or after its activity is logged.
        self._logged: OrderedDict[str, CaseRef] = OrderedDict()
        self._transcripts: OrderedDict[str, str] = OrderedDict()
        # What the CRM said for an interaction, when the work's own side asked before routing (a chat with
        # sticky routing): routing asking again for the same interaction gets this answer, not a second wait.
        self._identified: OrderedDict[str, CustomerContext] = OrderedDict()

    async def identify(self, new: NewInteraction) -> CustomerContext:
        """Who the customer of `new` is: the CRM is asked once per interaction id, even when it did not
        answer in time (asking again at once would only cost its lookup timeout a second time)."""
        known = self._identified.get(new.id)
        if known is not None:
            return known
        attributes = dict(new.attributes)
        context = await self._service.identify(
            caller=_first(attributes, _PHONE_KEYS),
            account=_first(attributes, _ACCOUNT_KEYS),
            email=_first(attributes, _EMAIL_KEYS),
        )
        customer = customer_context(context)
        _remember(self._identified, new.id, customer)
        return customer

    def file(self, new: NewInteraction) -> None:
        if new.customer is None or new.customer.customer_id is None:
            return  # nobody known: no case to file on
        self._cases[new.id] = asyncio.create_task(self._file(new), name=f"cti-case-{new.id}")

    async def _file(self, new: NewInteraction) -> CaseRef | None:
        attributes = dict(new.attributes)
        subject = _first(attributes, _SUBJECT_KEYS) or new.queue
        try:
            case = await self._service.file_case(new.id, _caller_context(new.customer), subject)
            voicemail = attributes.get("voicemail_url")
            if case is not None and isinstance(voicemail, str):
                await self._service.log_activity(case, _voicemail_left(new, voicemail))
            return case
        except Exception:
            logger.exception("could not file a case for interaction %s", new.id)
            return None

    def pending(self, interaction_id: str) -> bool:
        task = self._cases.get(interaction_id)
        return task is not None and not task.done()

    async def settled(self, interaction_id: str, *, within: float) -> bool:
        task = self._cases.get(interaction_id)
        if task is None:
            return False
        with suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), within)
        return task.done() and not task.cancelled()

    async def _case(self, interaction_id: str, *, within: float) -> CaseRef | None:
        if not await self.settled(interaction_id, within=within):
            return None
        task = self._cases[interaction_id]
        return None if task.exception() is not None else task.result()

    async def pop(self, view: InteractionView, *, wait_seconds: float) -> dict[str, Any] | None:
        # A case this close to filed is worth a few ms; a slow CRM is not.
        case = await self._case(view.id, within=self._render_wait)
        ivr = {k: str(v) for k, v in view.attributes}
        pop = build_screen_pop(
            view.id,
            _caller_context(view.customer),
            created_at=datetime.now(UTC),
            channel=str(view.channel),
            queue=view.queue,
            wait_seconds=max(wait_seconds, 0.0),
            ivr=ivr,
            sensitive=(),
            intent=ivr.get("intent"),
            case=case,
        ).model_dump(mode="json")
        self._publishing.add(task := asyncio.create_task(self._service.publish("screen_pop", pop)))
        task.add_done_callback(self._publishing.discard)
        return pop

    async def finish(self, view: InteractionView, agent_id: str | None, done: WorkDone) -> None:
        case = await self._case(view.id, within=self._service.lookup_timeout)
        self.forget(view.id)
        early = self._transcripts.pop(view.id, None)
        if case is None:
            return
        if early is not None and done.transcript_url is None:
            done = replace(done, transcript_url=early)
        await self._service.log_activity(case, _activity(view, agent_id, done))
        _remember(self._logged, view.id, case)
        late = self._transcripts.pop(view.id, None)  # stored while the activity was being logged
        if late is not None:
            await self._service.link_transcript(case, view.id, late)
        if done.disposition is not None or done.notes is not None:
            await self._service.update_case(case, disposition=done.disposition, notes=done.notes)

    async def transcript_stored(self, interaction_id: str, url: str) -> None:
        """A call's transcript is stored: its activity on the case links it, now if it is logged already,
        else when it is."""
        case = self._logged.get(interaction_id)
        if case is None:
            _remember(self._transcripts, interaction_id, url)
            return
        await self._service.link_transcript(case, interaction_id, url)

    def forget(self, interaction_id: str) -> None:
        self._identified.pop(interaction_id, None)
        task = self._cases.pop(interaction_id, None)
        if task is not None and not task.done():
            task.cancel()

    async def close(self) -> None:
        """Let the pop webhooks still being queued reach the outbox."""
        for task in self._cases.values():
            task.cancel()
        if self._publishing:
            await asyncio.gather(*self._publishing, return_exceptions=True)


def _remember(kept: OrderedDict[str, Any], key: str, value: Any) -> None:
    kept[key] = value
    kept.move_to_end(key)
    while len(kept) > _REMEMBERED:
        kept.popitem(last=False)


def _activity(view: InteractionView, agent_id: str | None, done: WorkDone) -> Activity:
    ended = view.ended_at if view.ended_at is not None else view.enqueue_time
    answered = view.answered_at if view.answered_at is not None else ended
    return Activity(
        channel=str(view.channel),
        started_at=datetime.fromtimestamp(view.enqueue_time, tz=UTC),
        interaction_id=view.id,
        wait_seconds=max(0.0, answered - view.enqueue_time),
        talk_seconds=max(0.0, ended - answered - done.hold_seconds),
        hold_seconds=done.hold_seconds,
        wrap_up_seconds=done.wrap_up_seconds,
        queue=view.queue,
        agent_id=agent_id,
        disposition=done.disposition,
        notes=done.notes,
        recording_url=done.recording_url,
        transcript_url=done.transcript_url,
        transcript=done.transcript,
    )


def _voicemail_left(new: NewInteraction, recording_url: str) -> Activity:
    """The message itself, on the case at once, before anyone has handled it."""
    return Activity(
        channel="voicemail",
        started_at=datetime.now(UTC),
        interaction_id=new.id,
        queue=new.queue,
        disposition="voicemail left",
        recording_url=recording_url,
    )
