"""Reaching the agent: an offer rings the agent's phone, answering it is the accept, then the bridge.

The agent leg is dialled from the worker carrying the caller (a bridge joins two calls of one worker).
The phone refusing (486/600/603) is a reject; no answer within the offer time-out is the core's miss,
and the ringing leg is cancelled. Once connected, either side hanging up ends the interaction.
A callback is the same with the roles swapped: the agent is rung first, then the customer is dialled
(through the trunk when one is configured). Click-to-dial is a callback only its agent may take.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from gateway.acd import InteractionState, RoutingError
from gateway.acd_server import RoutingPort, WorkDone
from gateway.ivr import Input, MediaDone, QueueExit, QueueExited, TransferCall, TransferFailed
from gateway.logs import bind_interaction
from gateway.sip import MakeCall
from gateway.voice._media import Media
from gateway.voice._outbound import DialUri, withdraw
from gateway.voice._recording import CallTape
from gateway.voice._session import Calls, Leg, LegPurpose, Phase, Session
from gateway.voice._waiting import FlowFeeder

__all__ = ["AgentDesk", "AgentUri"]

logger = logging.getLogger("helpline.voice")

AgentUri = Callable[[str], "str | None"]
"""`agent_uri(agent_id)`: the SIP URI that rings the agent's registered phone, or None if they have none."""

_REFUSALS = frozenset({486, 600, 603})
_PHONE_FAILURES = {
    0: "the agent's phone could not be called",
    404: "the agent's phone is not known to the SIP front",
    480: "the agent's phone is not registered",
    486: "the agent's phone is busy",
    603: "the agent declined on the phone",
}
_INTERACTION_HEADER = "X-Helpline-Interaction"


class AgentDesk:
    def __init__(
        self,
        media: Media,
        routing: RoutingPort,
        calls: Calls,
        *,
        agent_uri: AgentUri,
        dial_uri: DialUri | None = None,
    ) -> None:
        self._media = media
        self._routing = routing
        self._calls = calls
        self._agent_uri = agent_uri
        self._dial_uri = dial_uri
        self._flow: FlowFeeder | None = None

    def bind(self, flow: FlowFeeder) -> None:
        self._flow = flow

    # --- routing events ---------------------------------------------------------------------------

    async def offered(self, session: Session, agent_id: str, interaction_id: str) -> None:
        """Ring the agent's phone for this offer (a click-to-dial is only ever offered to its agent)."""
        uri = self._agent_uri(agent_id)
        if uri is None:
            logger.warning("agent %s has no phone to ring: the offer is declined", agent_id)
            await self._decline(interaction_id, agent_id)
            return
        if session.caller_call is None:  # a callback: any worker with room carries both legs
            session.worker_id = self._media.pick_worker(session.worker_id)
        leg = Leg(LegPurpose.AGENT, agent_id, session.worker_id, interaction_id)
        with bind_interaction(interaction_id):
            logger.info("ringing agent %s at %s", agent_id, uri)
        if not await self._dial(session, leg, uri):
            await self._decline(interaction_id, agent_id)

    async def offer_ended(self, session: Session, agent_id: str) -> None:
        """The offer timed out, was revoked or rejected in the panel: stop ringing."""
        leg = session.leg
        ringing = leg is not None and leg.purpose is LegPurpose.AGENT and leg.target == agent_id
        if ringing and leg is not None and session.phase in (Phase.QUEUED, Phase.CALLBACK):
            self._calls.drop_leg(session, leg)
            await self._media.hang_up_leg(leg)
        if session.dialled_by == agent_id and session.phase is Phase.CALLBACK:
            await withdraw(self._routing, self._calls, session, "the agent did not take the call")

    async def assigned(self, session: Session, agent_id: str) -> None:
        leg = session.leg
        if leg is not None and leg.target == agent_id and leg.answered:
            await self._connect(session, leg)

    async def ended_elsewhere(self, session: Session) -> None:
        """The interaction was ended from the agent's panel: the call ends too."""
        if session.phase in (Phase.CONNECTED, Phase.HELD):
            session.phase = Phase.ENDED
            await self._media.hang_up_caller(session)
            if session.leg is not None:
                await self._media.hang_up_leg(session.leg)

    # --- worker events on dialled legs ------------------------------------------------------------

    async def dialing(self, command_id: str, call_id: str) -> None:
        orphan = self._calls.orphans.pop(command_id, None)
        if orphan is not None:
            orphan.call_id = call_id
            await self._media.hang_up_leg(orphan)
            return
        owner = self._calls.leg_dialled(command_id, call_id)
        if owner is None:
            return
        session, leg = owner
        if leg.purpose is LegPurpose.CUSTOMER:
            self._calls.legs.pop(call_id, None)
            session.caller_call = call_id
            self._calls.callers[call_id] = session
            if session.phase is Phase.ENDED:  # the agent hung up before the customer's call got its id
                await self._media.hang_up_caller(session)
        elif leg.cancelled:
            await self._media.hang_up_leg(leg)

    async def dial_failed(self, command_id: str, message: str) -> None:
        owner = self._calls.dialing.get(command_id)
        if owner is None:
            return
        session, leg = owner
        logger.warning("dialling %s failed: %s", leg.target, message)
        if leg.purpose is LegPurpose.CUSTOMER:
            self._calls.dialing.pop(command_id, None)
            if session.leg is not None:
                await self._media.hang_up_leg(session.leg)
            await self.finish(session, "callback_failed")
            return
        await self.leg_ended(session, leg, 0)

    def leg_ringing(self, session: Session, leg: Leg) -> None:
        """The far end rings (180/183): a click-to-dial request learns the agent's phone is ringing."""
        if leg.purpose is LegPurpose.AGENT and session.ringing is not None and not session.ringing.done():
            session.ringing.set_result(None)

    async def leg_answered(self, session: Session, leg: Leg) -> None:
        leg.answered = True
        self.leg_ringing(session, leg)
        if leg.cancelled:
            return
        if leg.purpose is LegPurpose.TRANSFER:
            await self._transfer_answered(session, leg)
            return
        iid = leg.interaction_id or ""
        view = self._routing.interaction(iid)
        if view is not None and view.state is InteractionState.OFFERED and view.agent_id == leg.target:
            try:
                await self._routing.accept(iid, leg.target)
            except RoutingError as exc:
                logger.info("call %s: agent %s answered too late: %s", session.key, leg.target, exc)
                await self._media.hang_up_leg(leg)
        elif view is not None and view.state is InteractionState.ASSIGNED and view.agent_id == leg.target:
            await self._connect(session, leg)
        else:
            await self._media.hang_up_leg(leg)

    async def leg_ended(self, session: Session, leg: Leg, code: int) -> None:
        was_current = session.leg is leg
        self._calls.drop_leg(session, leg)
        if not was_current:
            return
        if not (leg.answered and self._carries_call(session, leg)):
            await self._unanswered(session, leg, code)
            return
        with bind_interaction(session.interaction_id):
            logger.info("the far end (%s) hung up: ending the call", leg.target)
        await self._media.hang_up_caller(session)
        await self.finish(session, "completed")

    def _carries_call(self, session: Session, leg: Leg) -> bool:
        """The answered leg is the call's far end (not a phone answering an offer that was withdrawn)."""
        if leg.purpose is LegPurpose.TRANSFER:
            return session.phase in (Phase.CONNECTED, Phase.HELD)
        view = self._routing.interaction(leg.interaction_id or "")
        return view is not None and view.state is InteractionState.ASSIGNED and view.agent_id == leg.target

    async def customer_answered(self, session: Session) -> None:
        """The customer picked up a callback: join them to the agent who is waiting on the line."""
        leg = session.leg
        if session.phase is not Phase.CALLBACK or leg is None:
            return
        session.phase = Phase.CONNECTED
        await self._media.record_caller(session)
        await self._media.bridge(session, leg)

    async def finish(self, session: Session, reason: str) -> None:
        """End the interaction (the core starts the agent's wrap-up) unless it already ended."""
        session.phase = Phase.ENDED
        iid = session.interaction_id
        view = self._routing.interaction(iid) if iid is not None else None
        if iid is not None and view is not None and view.state is InteractionState.ASSIGNED:
            with bind_interaction(iid):
                await self._routing.end(iid, reason, WorkDone(hold_seconds=session.held_seconds()))

    # --- transfers out ----------------------------------------------------------------------------

    async def dial_transfer(self, session: Session, uri: str) -> None:
        """Blind transfer to a URI: the gateway dials it and bridges the caller once it answers."""
        leg = Leg(LegPurpose.TRANSFER, uri, session.worker_id, None)
        await self._media.music(session)
        if not await self._dial(session, leg, uri):
            await self._transfer_failed(session, "media worker unavailable")

    async def _transfer_answered(self, session: Session, leg: Leg) -> None:
        await self._media.stop(session)
        await self._media.bridge(session, leg)
        await self._media.record_leg(session, leg)
        session.phase = Phase.CONNECTED
        if isinstance(session.action, TransferCall):
            await self._feed(session, MediaDone())

    async def _transfer_failed(self, session: Session, reason: str) -> None:
        logger.info("call %s: transfer failed (%s)", session.key, reason)
        if isinstance(session.action, TransferCall) and not session.run.finished:
            await self._media.stop(session)
            await self._feed(session, TransferFailed(reason))
        else:
            await self._media.hang_up_caller(session)

    # --- helpers ----------------------------------------------------------------------------------

    async def _dial(self, session: Session, leg: Leg, uri: str) -> bool:
        self._calls.track_leg(session, leg)
        headers = ((_INTERACTION_HEADER, leg.interaction_id),) if leg.interaction_id else ()
        command = MakeCall(uri=uri, headers=headers, command_id=leg.command_id)
        if await self._media.send(leg.worker_id, command):
            return True
        self._calls.drop_leg(session, leg)
        return False

    async def _connect(self, session: Session, leg: Leg) -> None:
        if session.phase is Phase.CALLBACK:
            await self._call_customer(session)
            await self._media.record_leg(session, leg)
            return
        if session.phase is not Phase.QUEUED:
            return
        session.cancel_announcements()
        await self._media.stop(session)
        await self._media.bridge(session, leg)
        await self._media.record_leg(session, leg)
        session.phase = Phase.CONNECTED
        with bind_interaction(session.interaction_id):
            logger.info("call %s connected to agent %s", session.key, leg.target)
        await self._feed(session, QueueExited(QueueExit.ANSWERED))

    async def _call_customer(self, session: Session) -> None:
        # A fresh tape: the recording starts when the agent is on the line, not at the first call.
        session.origin = asyncio.get_running_loop().time()
        session.tape = CallTape(folder=session.tape.folder, started_at=datetime.now(UTC))
        uri = self._customer_uri(session)
        customer = Leg(LegPurpose.CUSTOMER, uri, session.worker_id, session.interaction_id)
        self._calls.dialing[customer.command_id] = (session, customer)
        with bind_interaction(session.interaction_id):
            logger.info("calling the customer %s at %s", session.caller_id, uri)
        command = MakeCall(uri=uri, command_id=customer.command_id)
        if not await self._media.send(session.worker_id, command):
            await self.finish(session, "callback_failed")

    def _customer_uri(self, session: Session) -> str:
        """Click-to-dial has its URI; a caller asking for a callback is dialled back through the trunk."""
        if session.dialled_by is None and self._dial_uri is not None and _is_number(session.caller_id):
            return self._dial_uri(session.caller_id) or session.caller
        return session.caller

    async def _unanswered(self, session: Session, leg: Leg, code: int) -> None:
        if leg.purpose is LegPurpose.TRANSFER:
            await self._transfer_failed(session, f"SIP {code}" if code else "not reachable")
            return
        if session.dialled_by is not None and session.phase is Phase.CALLBACK:
            why = _PHONE_FAILURES.get(code, f"the agent's phone did not answer (SIP {code})")
            await withdraw(self._routing, self._calls, session, why)
            return
        iid = leg.interaction_id or ""
        view = self._routing.interaction(iid)
        still_offered = view is not None and view.state is InteractionState.OFFERED
        if code in _REFUSALS and still_offered and view is not None and view.agent_id == leg.target:
            with bind_interaction(iid):
                logger.info("agent %s declined on the phone (%d)", leg.target, code)
                await self._decline(iid, leg.target)

    async def _decline(self, interaction_id: str, agent_id: str) -> None:
        try:
            await self._routing.reject(interaction_id, agent_id)
        except RoutingError as exc:  # it was withdrawn or timed out meanwhile: nothing left to decline
            logger.info("agent %s: offer of %s no longer open: %s", agent_id, interaction_id, exc)

    async def _feed(self, session: Session, event: Input) -> None:
        assert self._flow is not None, "AgentDesk.bind() was not called"
        await self._flow.feed(session, event)


def _is_number(text: str) -> bool:
    digits = text.removeprefix("+")
    return 3 <= len(digits) <= 20 and digits.isdigit()
