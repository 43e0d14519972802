"""A voicemail becomes work: an item in the routing core for an agent with the queue's skills, who plays it in
the panel and calls the customer back. The recording is filed under that item, so its agent may hear it, and
the customer's case is opened or updated with the message attached (by the CRM desk, when it is routed).
"""

from __future__ import annotations

import logging
import uuid

from gateway.acd import Channel, NewInteraction, RoutingError
from gateway.acd_server import RoutingPort
from gateway.logs import bind_interaction
from gateway.voice._recording import RecordingInfo
from gateway.voice._session import Session

__all__ = ["VOICEMAIL", "VoicemailWork"]

logger = logging.getLogger("helpline.voice")

VOICEMAIL = "voicemail"  # the `kind` attribute of a voicemail work item


class VoicemailWork:
    def __init__(self, routing: RoutingPort) -> None:
        self._routing = routing

    async def __call__(self, session: Session, info: RecordingInfo) -> str | None:
        queue = session.voicemail_queue
        if queue is None:
            logger.warning(
                "call %s: voicemail %s kept, but no queue to route it to (give the voicemail verb a queue)",
                session.key,
                info.id,
            )
            return None
        new = NewInteraction(
            id=uuid.uuid4().hex,
            queue=queue,
            channel=Channel.CASE,
            attributes={
                "kind": VOICEMAIL,
                "caller": session.caller_id,
                "voicemail_url": f"/api/v1/recordings/{info.id}",
                "voicemail_seconds": round(info.duration_s, 1),
                "left_during": session.interaction_id or "",
            },
            customer=session.customer,
        )
        try:
            view = await self._routing.enqueue(new)
        except (RoutingError, ValueError):
            logger.exception("call %s: voicemail %s could not be routed to %s", session.key, info.id, queue)
            return None
        with bind_interaction(view.id):
            logger.info("call %s: voicemail %s routed to queue %s", session.key, info.id, view.queue)
        return view.id
