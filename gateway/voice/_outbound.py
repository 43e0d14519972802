"""Click-to-dial: the agent's own phone rings first; once it is answered the customer's number is dialled.

The call is a callback without a caller yet (see `_agents.py`): an interaction in a voice queue that only
the dialling agent may take (`only_agent`), so the routing core reserves that agent (nothing else is
offered meanwhile) and never offers the call to anyone else, times the work and logs it on the customer's
case like any call. If the agent's phone does not ring or is not answered, the call is withdrawn.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from gateway.acd import Channel, InteractionState, NewInteraction, PresenceKind, RoutingError, UnknownAgent
from gateway.acd_server import RoutingPort
from gateway.ivr import Flow, FlowRun
from gateway.logs import bind_interaction
from gateway.voice._at_rest import private_dirs
from gateway.voice._media import Media
from gateway.voice._recording import CallTape
from gateway.voice._session import Calls, Phase, Session
from gateway.voice.errors import DialError, DialRefusal

__all__ = ["DialUri", "Outbound", "withdraw"]

logger = logging.getLogger("helpline.voice")

DialUri = Callable[[str], "str | None"]
"""`dial_uri(number)`: the SIP URI that reaches a phone number (e.g. through a trunk), or None."""

_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
_NO_FLOW = {"outbound": Flow("outbound", ())}
_WAITING = (InteractionState.WAITING, InteractionState.OFFERED)


class Outbound:
    def __init__(
        self,
        media: Media,
        routing: RoutingPort,
        calls: Calls,
        *,
        agent_uri: Callable[[str], str | None],
        dial_uri: DialUri | None,
        scratch: Path,
        queue: str | None = None,
    ) -> None:
        self._media = media
        self._routing = routing
        self._calls = calls
        self._agent_uri = agent_uri
        self._dial_uri = dial_uri
        self._scratch = scratch
        self._queue = queue

    async def place(
        self, agent_id: str, number: str, attributes: Mapping[str, str], ringing: asyncio.Future[None]
    ) -> str:
        """Reserve the agent and ring their phone; `ringing` resolves (or fails) when the phone answers the
        INVITE. Returns the interaction id; DialError if the call cannot be placed at all."""
        uri = self._route(agent_id, number)
        if self._agent_uri(agent_id) is None:
            raise DialError(DialRefusal.NO_PHONE, agent_id, "the agent has no SIP phone configured")
        self._check_free(agent_id)
        queue = self._queue_for(agent_id)
        new = NewInteraction(
            id=uuid.uuid4().hex,
            channel=Channel.VOICE,
            queue=queue,
            attributes={**attributes, "phone": number, "direction": "outbound"},
            only_agent=agent_id,
            customer_ref=attributes.get("customer_id"),
        )
        try:
            view = await self._routing.enqueue(new)
        except (RoutingError, ValueError) as exc:
            detail = f"queue {queue!r} refused the call: {exc}"
            raise DialError(DialRefusal.NO_QUEUE, agent_id, detail) from exc
        if view.state is not InteractionState.OFFERED:  # the agent took other work meanwhile
            await self._routing.abandon(view.id)
            raise DialError(DialRefusal.AGENT_BUSY, agent_id, "the agent cannot take a call right now")
        session = await self._session(agent_id, number, uri, ringing)
        self._calls.add(session)
        self._calls.bind_interaction(session, view.id)
        with bind_interaction(view.id):
            logger.info("click-to-dial: agent %s calls %s through %s", agent_id, number, uri)
        return view.id

    def _route(self, agent_id: str, number: str) -> str:
        if self._dial_uri is None:
            raise DialError(
                DialRefusal.NO_TRUNK, agent_id, "no route to phone numbers: configure server.sip.trunk"
            )
        uri = self._dial_uri(number) if _NUMBER.match(number) else None
        if uri is None and _NUMBER.match(number):  # not one of server.sip.numbers, and no trunk
            raise DialError(
                DialRefusal.NO_TRUNK, agent_id, "no route to phone numbers: configure server.sip.trunk"
            )
        if uri is None:
            raise DialError(DialRefusal.INVALID_NUMBER, agent_id, f"{number!r} is not a number to dial")
        return uri

    def _check_free(self, agent_id: str) -> None:
        try:
            agent = self._routing.agent(agent_id)
        except UnknownAgent:
            raise DialError(DialRefusal.NO_PHONE, agent_id, "not an agent of this contact center") from None
        kind = agent.presence.kind
        if kind is not PresenceKind.AVAILABLE or agent.offered or agent.assigned:
            what = "is being offered a call" if agent.offered else "is on another interaction"
            raise DialError(
                DialRefusal.AGENT_BUSY,
                agent_id,
                f"the agent is {kind}" if kind is not PresenceKind.AVAILABLE else f"the agent {what}",
            )

    def _queue_for(self, agent_id: str) -> str:
        queue = self._queue or self._routing.queue_for_agent(agent_id, Channel.VOICE)
        if queue is None:
            raise DialError(DialRefusal.NO_QUEUE, agent_id, "the agent is in no voice queue")
        return queue

    async def _session(self, agent_id: str, number: str, uri: str, ringing: asyncio.Future[None]) -> Session:
        key = f"dial-{uuid.uuid4().hex}"
        folder = self._scratch / key
        await asyncio.to_thread(private_dirs, self._scratch, folder)
        now = datetime.now(UTC)
        run = FlowRun(_NO_FLOW, "outbound", caller=number, now=now, is_open=_never_asked)
        run.start()  # an empty flow: finished at once, there is no IVR on an outbound call
        return Session(
            key=key,
            worker_id=self._media.pick_worker(0),
            caller_call=None,
            caller=uri,
            caller_id=number,
            run=run,
            tape=CallTape(folder=folder, started_at=now),
            origin=asyncio.get_running_loop().time(),
            phase=Phase.CALLBACK,
            dialled_by=agent_id,
            ringing=ringing,
        )


async def withdraw(routing: RoutingPort, calls: Calls, session: Session, detail: str) -> None:
    """An outbound call that cannot reach its agent is given up: nobody else may take it."""
    iid = session.interaction_id
    agent = session.dialled_by or ""
    if session.ringing is not None and not session.ringing.done():
        session.ringing.set_exception(DialError(DialRefusal.PHONE_UNREACHABLE, agent, detail))
    session.phase = Phase.ENDED
    session.recorded_for = None  # nothing was said: no recording to file
    view = routing.interaction(iid) if iid is not None else None
    if iid is not None and view is not None and view.state in _WAITING:
        with bind_interaction(iid):
            logger.info("click-to-dial by %s withdrawn: %s", agent, detail)
            await routing.abandon(iid)
    if session.leg is not None:
        calls.drop_leg(session, session.leg)


def _never_asked(_hours: str, _now: datetime) -> bool:
    return True
