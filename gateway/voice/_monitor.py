"""Listen, whisper, barge: a supervisor's own phone joins a connected call as a third leg.

The supervisor's leg is dialled from the worker that carries the call (the conference bridge joins only
calls of one worker) and counts toward that worker's call limit like any leg. Once it answers, the worker
is told which one-way audio links to make: the caller and the agent always reach the supervisor; whisper
adds supervisor -> agent, barge adds supervisor -> caller too. The caller <-> agent bridge is never
touched, so the supervisor leaving (hanging up, the leave request, or the call ending) leaves the call as
it was. Each join, mode change and leave is an audit entry in the event log (`supervisor_action`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from gateway.acd import JSON, SupervisorAction
from gateway.acd_server import RoutingPort
from gateway.logs import bind_interaction
from gateway.sip import MakeCall, StopTransmit, Transmit
from gateway.voice._agents import AgentUri
from gateway.voice._media import Media
from gateway.voice._session import Calls, Leg, LegPurpose, Monitor, MonitorMode, Phase, Session
from gateway.voice.errors import (
    AlreadyMonitored,
    CallNotFoundError,
    NoRoomForSupervisor,
    NoSupervisorPhone,
    NotMonitoring,
)

__all__ = ["MonitorStatus", "Supervision", "links_for"]

logger = logging.getLogger("helpline.voice")

_LIVE = (Phase.CONNECTED, Phase.HELD)


@dataclass(frozen=True, slots=True)
class MonitorStatus:
    interaction_id: str
    supervisor_id: str
    agent_id: str
    mode: MonitorMode
    connected: bool  # the supervisor's phone answered (False: it is ringing)


def links_for(mode: MonitorMode, caller: str, agent: str, supervisor: str) -> frozenset[tuple[str, str]]:
    """The one-way audio links (source call, sink call) a mode needs besides the caller <-> agent bridge."""
    links = {(caller, supervisor), (agent, supervisor)}
    if mode in (MonitorMode.WHISPER, MonitorMode.BARGE):
        links.add((supervisor, agent))
    if mode is MonitorMode.BARGE:
        links.add((supervisor, caller))
    return frozenset(links)


class Supervision:
    def __init__(self, media: Media, routing: RoutingPort, calls: Calls, *, phone_uri: AgentUri) -> None:
        self._media = media
        self._routing = routing
        self._calls = calls
        self._phone_uri = phone_uri

    # --- the supervisor's requests ----------------------------------------------------------------

    async def join(self, interaction_id: str, supervisor: str, mode: MonitorMode) -> MonitorStatus:
        """Ring the supervisor's phone; it joins the call in `mode` once answered."""
        session = self._agent_call(interaction_id)
        assert session.leg is not None
        self._check_free(session, interaction_id, supervisor)
        uri = self._phone_uri(supervisor)
        if uri is None:
            raise NoSupervisorPhone(interaction_id, supervisor, "the supervisor has no SIP phone configured")
        if not self._media.has_room(session.worker_id):
            # the leg must be in the call's own worker: the conference bridge joins only calls of one worker
            detail = f"media worker {session.worker_id} carrying the call has no call slot left"
            raise NoRoomForSupervisor(interaction_id, supervisor, detail)
        leg = Leg(LegPurpose.SUPERVISOR, supervisor, session.worker_id, interaction_id)
        session.monitor = Monitor(supervisor=supervisor, mode=mode, leg=leg, agent_leg=session.leg)
        self._calls.dialing[leg.command_id] = (session, leg)
        with bind_interaction(interaction_id):
            logger.info("supervisor %s joins the call (%s): ringing %s", supervisor, mode, uri)
        if not await self._media.send(session.worker_id, MakeCall(uri=uri, command_id=leg.command_id)):
            self._calls.dialing.pop(leg.command_id, None)
            session.monitor = None
            raise CallNotFoundError(interaction_id, "the call's media worker is unavailable")
        return self._status(session, session.monitor)

    async def change(self, interaction_id: str, supervisor: str, mode: MonitorMode) -> MonitorStatus:
        session, monitor = self._monitored(interaction_id, supervisor)
        if monitor.mode is not mode:
            before, monitor.mode = monitor.mode, mode
            if monitor.leg.answered:
                await self._apply(session, monitor)
                await self._audit(session, monitor, "monitor_mode", {"mode": str(mode), "from": str(before)})
        return self._status(session, monitor)

    async def leave(self, interaction_id: str, supervisor: str) -> MonitorStatus:
        session, monitor = self._monitored(interaction_id, supervisor)
        status = self._status(session, monitor)
        await self._end(session, "left")
        return status

    def status(self, interaction_id: str) -> MonitorStatus | None:
        session = self._calls.interactions.get(interaction_id)
        monitor = session.monitor if session is not None else None
        return self._status(session, monitor) if session is not None and monitor is not None else None

    # --- worker events on the supervisor's leg ----------------------------------------------------

    async def answered(self, session: Session, leg: Leg) -> None:
        leg.answered = True
        monitor = session.monitor
        if leg.cancelled or monitor is None or monitor.leg is not leg:
            await self._media.hang_up_leg(leg)
            return
        await self._apply(session, monitor)
        await self._audit(session, monitor, "monitor_join", {"mode": str(monitor.mode)})

    async def ended(self, session: Session, leg: Leg, code: int) -> None:
        """The supervisor's phone hung up, refused or failed: the call goes on as it was."""
        self._calls.dialing.pop(leg.command_id, None)
        if leg.call_id is not None:
            self._calls.legs.pop(leg.call_id, None)
        monitor = session.monitor
        if monitor is None or monitor.leg is not leg:
            return
        session.monitor = None
        if leg.answered:
            await self._audit(session, monitor, "monitor_leave", {"reason": "hung_up"})
        else:
            logger.info("supervisor %s's phone did not answer (SIP %d)", monitor.supervisor, code)
            details: dict[str, JSON] = {
                "mode": str(monitor.mode),
                "reason": f"phone did not answer (SIP {code})",
            }
            await self._audit(session, monitor, "monitor_unanswered", details)

    async def check(self, session: Session) -> None:
        """After anything happened to the call: a supervisor stays only while the agent's call lasts."""
        monitor = session.monitor
        if monitor is None:
            return
        lasts = (
            session.phase in _LIVE and session.caller_call is not None and session.leg is monitor.agent_leg
        )
        if not lasts:
            await self._end(session, "call_ended")

    # --- helpers ----------------------------------------------------------------------------------

    async def _apply(self, session: Session, monitor: Monitor) -> None:
        """Tell the worker the links the mode needs (and to drop those it no longer needs)."""
        caller, agent, supervisor = session.caller_call, monitor.agent_leg.call_id, monitor.leg.call_id
        if caller is None or agent is None or supervisor is None:
            return
        wanted = links_for(monitor.mode, caller, agent, supervisor)
        for source, sink in sorted(monitor.links - wanted):
            await self._media.send(session.worker_id, StopTransmit(source=source, sink=sink))
        for source, sink in sorted(wanted - monitor.links):
            await self._media.send(session.worker_id, Transmit(source=source, sink=sink))
        monitor.links = wanted

    async def _end(self, session: Session, reason: str) -> None:
        monitor, session.monitor = session.monitor, None
        if monitor is None:
            return
        self._calls.dialing.pop(monitor.leg.command_id, None)
        if monitor.leg.call_id is None:
            self._calls.orphans[monitor.leg.command_id] = monitor.leg  # hung up as soon as it has an id
        else:
            self._calls.legs.pop(monitor.leg.call_id, None)
        await self._media.hang_up_leg(monitor.leg)
        if monitor.leg.answered:
            await self._audit(session, monitor, "monitor_leave", {"reason": reason})
        else:  # asked for, never on the call: the request is on the record all the same
            await self._audit(
                session, monitor, "monitor_unanswered", {"mode": str(monitor.mode), "reason": reason}
            )

    async def _audit(self, session: Session, monitor: Monitor, action: str, details: dict[str, JSON]) -> None:
        iid = session.interaction_id or ""
        entry = SupervisorAction(
            actor=monitor.supervisor,
            action=action,
            target=iid,
            interaction_id=iid or None,
            agent_id=monitor.agent_leg.target,
            details=details,
        )
        with bind_interaction(iid):
            logger.info("supervisor %s: %s %s", monitor.supervisor, action, details)
            try:
                await self._routing.record_action(entry)
            except Exception:  # the audit trail failing must not break the call
                logger.exception("audit entry %s could not be recorded", action)

    def _agent_call(self, interaction_id: str) -> Session:
        session = self._calls.interactions.get(interaction_id)
        if session is None or session.interaction_id != interaction_id or session.leg is None:
            raise CallNotFoundError(interaction_id)
        if session.phase not in _LIVE or session.caller_call is None:
            raise CallNotFoundError(interaction_id, f"the call is {session.phase}, not connected")
        if session.leg.purpose is not LegPurpose.AGENT or session.leg.call_id is None:
            raise CallNotFoundError(interaction_id, "the call is not with an agent")
        return session

    def _check_free(self, session: Session, interaction_id: str, supervisor: str) -> None:
        if session.monitor is not None:
            who = session.monitor.supervisor
            raise AlreadyMonitored(interaction_id, supervisor, f"supervisor {who!r} is already on this call")
        for other in self._calls.sessions.values():
            if other.monitor is not None and other.monitor.supervisor == supervisor:
                on = other.interaction_id
                raise AlreadyMonitored(
                    interaction_id, supervisor, f"the supervisor is already on call {on!r}"
                )

    def _monitored(self, interaction_id: str, supervisor: str) -> tuple[Session, Monitor]:
        session = self._calls.interactions.get(interaction_id)
        monitor = session.monitor if session is not None else None
        if session is None or monitor is None or monitor.supervisor != supervisor:
            raise NotMonitoring(interaction_id, supervisor, "the supervisor is not on this call")
        return session, monitor

    @staticmethod
    def _status(session: Session, monitor: Monitor) -> MonitorStatus:
        return MonitorStatus(
            interaction_id=session.interaction_id or "",
            supervisor_id=monitor.supervisor,
            agent_id=monitor.agent_leg.target,
            mode=monitor.mode,
            connected=monitor.leg.answered and not monitor.leg.cancelled,
        )
