"""A call's transcript is stored a while after the call, before or after its activity is logged on the
customer's case: either way the activity ends up with the transcript's link (built-in CRM)."""

from __future__ import annotations

import time

from cti_adapter import CtiService
from cti_adapter.builtin import BuiltinCrm, NewCustomer
from gateway.acd import InteractionView, NewInteraction, Presence, Router
from gateway.acd_server.port import WorkDone
from gateway.config import agent_specs, parse_config, queue_specs
from gateway.cti import CrmDesk, customer_context

CONFIG = {
    "users": [{"id": "alice", "name": "Alice", "role": "agent", "password_hash": "$argon2id$test",
               "skills": {"support": 5}}],
    "skills": [{"id": "support"}],
    "queues": [{"id": "support", "name": "Support", "skills": [{"skill": "support"}]}],
}  # fmt: skip
URL = "/api/v1/interactions/call-1/transcript"


async def _answered_call(service: CtiService, desk: CrmDesk) -> InteractionView:
    """call-1 from Ann, filed on her case, answered by alice and ended: the view the desk finishes."""
    config = parse_config(CONFIG)
    router = Router(queues=queue_specs(config), agents=agent_specs(config))
    context = customer_context(await service.identify(caller="020 7946 0958"))
    new = NewInteraction(
        id="call-1", queue="support", attributes={"caller": "+442079460958"}, customer=context
    )
    now = time.time()
    router.set_presence("alice", Presence.available(), now)
    router.enqueue(new, now)
    router.accept("call-1", "alice", now + 2)
    router.end("call-1", now + 60)
    desk.file(new)
    assert await desk.settled("call-1", within=5)
    view = router.interaction("call-1")
    assert view is not None
    return view


async def _logged(crm: BuiltinCrm, customer_id: str) -> list[str | None]:
    [case] = await crm.open_cases(customer_id)
    return [a.transcript_url for a in await crm.activities(case.id) if a.interaction_id == "call-1"]


async def test_given_a_logged_call_when_its_transcript_is_stored_then_its_activity_links_it(
    crm: BuiltinCrm,
) -> None:
    ann = await crm.create_customer(NewCustomer(name="Ann Lee", phone="020 7946 0958"))
    service = CtiService(crm, lookup_timeout=2.0, default_region="GB")
    desk = CrmDesk(service)
    view = await _answered_call(service, desk)
    await desk.finish(view, "alice", WorkDone(disposition="resolved"))
    assert await _logged(crm, ann.id) == [None]

    await desk.transcript_stored("call-1", URL)

    assert await _logged(crm, ann.id) == [URL]


async def test_given_a_transcript_stored_before_the_activity_then_the_activity_is_logged_with_it(
    crm: BuiltinCrm,
) -> None:
    ann = await crm.create_customer(NewCustomer(name="Ann Lee", phone="020 7946 0958"))
    service = CtiService(crm, lookup_timeout=2.0, default_region="GB")
    desk = CrmDesk(service)
    view = await _answered_call(service, desk)

    await desk.transcript_stored("call-1", URL)  # short call, long wrap-up: the transcript came first
    await desk.finish(view, "alice", WorkDone(disposition="resolved"))

    assert await _logged(crm, ann.id) == [URL]


async def test_given_a_transcript_of_a_call_on_no_case_then_nothing_is_linked_and_nothing_fails(
    crm: BuiltinCrm,
) -> None:
    desk = CrmDesk(CtiService(crm, lookup_timeout=2.0, default_region="GB"))

    await desk.transcript_stored("call-9", "/api/v1/interactions/call-9/transcript")
