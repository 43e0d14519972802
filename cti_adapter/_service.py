"""`CtiService`: the adapter behind a time budget, case writes through the outbox, events as webhooks.

A slow or failing CRM never delays a call: `identify` answers within `lookup_timeout` with what it knows
and `crm_unavailable=True`; case writes for an external CRM are queued durably and delivered when it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from cti_adapter._codec import activity_to_json, new_case_to_json
from cti_adapter._context import CallerContext, CaseRef, NoEntitlementPolicy
from cti_adapter._contract import (
    Activity,
    Case,
    CaseStatus,
    CrmAdapter,
    CustomerMatch,
    Entitlement,
    Lookup,
    LookupKind,
    NewCase,
)
from cti_adapter._delivery import OutboxWorker
from cti_adapter._outbox import EntryStatus, Lane
from cti_adapter._phone import normalize_phone
from cti_adapter.builtin._db import Clock, utc_now
from cti_adapter.errors import (
    CtiError,
    CustomerNotFound,
    DialUnavailable,
    InvalidCrmData,
    InvalidPhoneNumber,
)

__all__ = ["CtiService", "DialRequest", "Dialer"]

logger = logging.getLogger("helpline.cti")

_NO_POLICY = NoEntitlementPolicy()


@dataclass(frozen=True, slots=True)
class DialRequest:
    """An agent asked the panel to call `number`."""

    agent_id: str
    number: str  # E.164
    requested_at: datetime
    customer_id: str | None = None
    case_id: str | None = None


class Dialer(Protocol):
    """Places an outbound call for an agent (the SIP side implements it)."""

    async def dial(self, request: DialRequest) -> None: ...


@dataclass
class _Found:
    match: CustomerMatch | None = None
    entitlement: Entitlement | None = None
    open_cases: tuple[Case, ...] = field(default_factory=tuple)


class CtiService:
    """Caller identification, case filing and activity logging on top of a `CrmAdapter`.

    With an `outbox` that has a CRM lane, case writes are queued there (external CRMs); otherwise they go
    straight to the adapter (the built-in CRM). With a webhook lane, every CTI event is published too.
    """

    def __init__(
        self,
        adapter: CrmAdapter,
        outbox: OutboxWorker | None = None,
        *,
        lookup_timeout: float = 0.5,
        default_region: str = "GB",
        level_priority: Mapping[str, int] | None = None,
        no_entitlement: NoEntitlementPolicy = _NO_POLICY,
        dialer: Dialer | None = None,
        clock: Clock = utc_now,
    ) -> None:
        if lookup_timeout <= 0:
            raise ValueError(f"crm: lookup_timeout_seconds must be > 0, got {lookup_timeout}")
        self._adapter = adapter
        self._outbox = outbox
        self._timeout = lookup_timeout
        self._region = default_region.upper()
        self._level_priority = {k.lower(): v for k, v in (level_priority or {"premium": 10}).items()}
        self._no_entitlement = no_entitlement
        self._dialer = dialer
        self._clock = clock

    @property
    def lookup_timeout(self) -> float:
        return self._timeout

    # -- identification

    async def identify(
        self,
        *,
        caller: str | None = None,
        account: str | None = None,
        email: str | None = None,
        product: str | None = None,
    ) -> CallerContext:
        """Who is calling and are they entitled; returns within `lookup_timeout` whatever the CRM does."""
        caller_e164 = self._e164_or_none(caller)
        lookups = _lookups(account=account, phone=caller_e164, email=email)
        found = _Found()
        reason: str | None = None
        # The budget is kept by waiting, not by cancelling: aiohttp may take a cancellation that lands with
        # its own request timeout for that timeout, and the adapter would retry past the budget (seen:
        # twice the budget when both were 1 s). Work cut off at the budget ends in the background.
        lookup = asyncio.ensure_future(self._identify_into(found, lookups, product))
        try:
            done, _ = await asyncio.wait({lookup}, timeout=self._timeout)
            if not done:
                found = replace(found)  # as it stood at the budget: the lookup's end changes nothing
                reason = f"no answer within {self._timeout:g} s"
            else:
                lookup.result()
        except CtiError as exc:
            reason = str(exc)
        except Exception as exc:
            logger.exception("caller lookup failed (caller %s, account %s)", caller_e164 or caller, account)
            reason = f"{type(exc).__name__}: {exc}"
        finally:
            if not lookup.done():
                lookup.cancel()
                lookup.add_done_callback(_ended_quietly)
        if reason is not None:
            logger.warning("CRM unavailable for caller %s: %s", caller_e164 or caller, reason)
        context = CallerContext(
            caller=caller_e164 or caller,
            account=account,
            match=found.match,
            entitlement=found.entitlement,
            open_cases=found.open_cases,
            crm_unavailable=reason is not None,
            unavailable_reason=reason,
        )
        context = self._with_hints(context)
        await self.publish("caller.identified", _context_json(context))
        return context

    async def _identify_into(self, found: _Found, lookups: list[Lookup], product: str | None) -> None:
        for lookup in lookups:
            found.match = await self._adapter.find_customer(lookup)
            if found.match is not None:
                break
        if found.match is None:
            return
        customer_id = found.match.customer.id
        try:
            entitlement, cases = await asyncio.gather(
                self._adapter.entitlement(customer_id, product, self._clock()),
                self._adapter.open_cases(customer_id),
            )
        except CustomerNotFound:
            return  # deleted between the lookup and now: known, nothing more to say
        found.entitlement, found.open_cases = entitlement, tuple(cases)

    def _with_hints(self, context: CallerContext) -> CallerContext:
        if context.crm_unavailable and context.entitlement is None:
            return replace(context, rule="CRM unavailable: routed as the flow says")  # not the caller's fault
        if context.entitlement is not None:
            level = context.entitlement.level
            delta = self._level_priority.get(level, 0)
            rule = f"level_priority: {level} {delta:+d}" if delta else f"entitled ({level}): no change"
            return replace(context, priority_delta=delta, rule=rule)
        policy = self._no_entitlement
        changes = [f"priority {policy.priority_delta:+d}"] if policy.priority_delta else []
        changes += [f"queue {policy.queue}"] if policy.queue else []
        rule = f"no_entitlement: {', '.join(changes)}" if changes else "no_entitlement: no change"
        return replace(context, priority_delta=policy.priority_delta, queue=policy.queue, rule=rule)

    def _e164_or_none(self, raw: str | None) -> str | None:
        if not raw:
            return None
        try:
            return normalize_phone(raw, self._region)
        except InvalidPhoneNumber:
            return None  # anonymous, a SIP user name, an extension: not a number to look up

    # -- cases

    async def file_case(
        self, interaction_id: str, context: CallerContext, subject: str, *, priority: int = 0
    ) -> CaseRef | None:
        """Attach the interaction to the customer's open case on `subject`, or open one.

        None when the caller is not a known customer.
        """
        customer = context.customer
        if customer is None:
            return None
        new = NewCase(customer.id, subject, interaction_id=interaction_id, priority=priority)
        if not self._queues_case_writes():
            attachment = await self._adapter.attach_case(new)
            ref = CaseRef(subject, attachment.case.id, attached=attachment.attached)
        else:
            ref = await self._queued_attach(new)
        await self.publish(
            "case.filed",
            {
                "interaction_id": interaction_id,
                "customer_id": customer.id,
                "subject": subject,
                "case_id": ref.case_id,
                "key": ref.key,
                "attached": ref.attached,
            },
        )
        return ref

    async def log_activity(self, case: CaseRef, activity: Activity) -> None:
        """Log the call or chat on the case; queued (never lost) for an external CRM."""
        if not self._queues_case_writes():
            await self._adapter.log_activity(_confirmed(case), activity)
        else:
            await self._enqueue_case_write("log_activity", case, {"activity": activity_to_json(activity)})
        await self.publish(
            "case.activity_logged",
            {"case_id": case.case_id, "key": case.key, "activity": activity_to_json(activity)},
        )

    async def link_transcript(self, case: CaseRef, interaction_id: str, transcript_url: str) -> None:
        """The call's transcript is stored: its activity on the case gets the link (queued for an external
        CRM, in order after the activity itself)."""
        if not self._queues_case_writes():
            await self._adapter.link_transcript(_confirmed(case), interaction_id, transcript_url)
        else:
            payload = {"interaction_id": interaction_id, "transcript_url": transcript_url}
            await self._enqueue_case_write("link_transcript", case, payload)
        await self.publish(
            "case.activity_updated",
            {
                "case_id": case.case_id,
                "key": case.key,
                "interaction_id": interaction_id,
                "transcript_url": transcript_url,
            },
        )

    async def update_case(
        self,
        case: CaseRef,
        *,
        disposition: str | None = None,
        notes: str | None = None,
        status: CaseStatus | None = None,
    ) -> None:
        if not self._queues_case_writes():
            await self._adapter.update_case(
                _confirmed(case), disposition=disposition, notes=notes, status=status
            )
        else:
            await self._enqueue_case_write(
                "update_case",
                case,
                {"disposition": disposition, "notes": notes, "status": status.value if status else None},
            )
        await self.publish(
            "case.updated",
            {
                "case_id": case.case_id,
                "key": case.key,
                "disposition": disposition,
                "notes": notes,
                "status": status.value if status else None,
            },
        )

    def _queues_case_writes(self) -> bool:
        return self._outbox is not None and self._outbox.handles(Lane.CRM)

    async def _queued_attach(self, new: NewCase) -> CaseRef:
        assert self._outbox is not None
        entry = await self._outbox.outbox.enqueue(Lane.CRM, "attach_case", new_case_to_json(new))
        self._outbox.notify(Lane.CRM)
        settled = await self._outbox.wait_settled(entry.key, self._timeout)
        if settled is not None and settled.status is EntryStatus.DELIVERED:
            return CaseRef(new.subject, settled.result_id, key=entry.key)
        return CaseRef(new.subject, None, key=entry.key)

    async def _enqueue_case_write(self, kind: str, case: CaseRef, payload: Mapping[str, Any]) -> None:
        assert self._outbox is not None
        body = {**payload, "case_id": case.case_id}
        await self._outbox.outbox.enqueue(Lane.CRM, kind, body, case_key=None if case.case_id else case.key)
        self._outbox.notify(Lane.CRM)

    # -- click-to-dial and events

    async def click_to_dial(
        self, agent_id: str, number: str, *, customer_id: str | None = None, case_id: str | None = None
    ) -> DialRequest:
        """Normalise `number` and hand the call to the dialer.

        Raises InvalidPhoneNumber, or CtiError when no dialer is wired.
        """
        if self._dialer is None:
            raise DialUnavailable("click-to-dial is not available: no dialer is configured")
        request = DialRequest(
            agent_id,
            normalize_phone(number, self._region),
            self._clock(),
            customer_id=customer_id,
            case_id=case_id,
        )
        await self._dialer.dial(request)
        await self.publish(
            "dial.requested",
            {"agent_id": agent_id, "number": request.number, "customer_id": customer_id, "case_id": case_id},
        )
        return request

    async def publish(self, kind: str, data: Mapping[str, Any]) -> None:
        """Queue a signed webhook for `kind` when webhooks are configured; never raises for the receiver."""
        if self._outbox is None or not self._outbox.handles(Lane.WEBHOOK):
            return
        try:
            await self._outbox.outbox.enqueue(Lane.WEBHOOK, kind, dict(data))
        except CtiError:
            logger.exception("webhook %s could not be queued", kind)
            return
        self._outbox.notify(Lane.WEBHOOK)


def _ended_quietly(lookup: asyncio.Future[None]) -> None:
    """A lookup cut off at its budget: its failure, if any, was already reported as the budget's."""
    if not lookup.cancelled():
        lookup.exception()


def _lookups(*, account: str | None, phone: str | None, email: str | None) -> list[Lookup]:
    # The account the caller typed is the strongest evidence, then the number they call from.
    lookups = []
    if account and account.strip():
        lookups.append(Lookup.by_account(account))
    if phone:
        lookups.append(Lookup(LookupKind.PHONE, phone))  # already E.164
    if email:
        # A malformed address from a web form: look up by the rest.
        with contextlib.suppress(InvalidCrmData):
            lookups.append(Lookup.by_email(email))
    return lookups


def _confirmed(case: CaseRef) -> str:
    if case.case_id is None:
        raise InvalidCrmData("case", f"case {case.subject!r} has no id yet")
    return case.case_id


def _context_json(context: CallerContext) -> dict[str, Any]:
    customer = context.customer
    return {
        "caller": context.caller,
        "account": context.account,
        "customer_id": customer.id if customer else None,
        "level": context.entitlement.level if context.entitlement else None,
        "open_cases": [c.id for c in context.open_cases],
        "crm_unavailable": context.crm_unavailable,
        "priority_delta": context.priority_delta,
        "queue": context.queue,
    }
