"""Routing each inbox item to the session it concerns, and to the part of the service that handles it.

After every item the session is checked: once neither the caller nor a dialled leg is left (and no
callback is pending) it is forgotten and its recordings are filed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from gateway.acd import Event as RoutingEvent
from gateway.acd import EventType, InteractionState
from gateway.acd_server import RoutingPort
from gateway.ivr import CallerHungUp, Flow, FlowRun, IsOpen
from gateway.logs import bind_interaction
from gateway.sip import (
    Answer,
    CallState,
    Dialing,
    Disconnected,
    Dtmf,
    ErrorEvent,
    Incoming,
    MediaEnded,
    State,
)
from gateway.sip import Event as WorkerEvent
from gateway.voice._agents import AgentDesk
from gateway.voice._at_rest import RecordingsAtRest, private_dirs
from gateway.voice._filing import RecordingClerk
from gateway.voice._ivr import IvrDriver
from gateway.voice._leftovers import SCRATCH_DIR, keep_leftovers
from gateway.voice._listening import SpeechHeard, SpeechStarted
from gateway.voice._media import Media, PromptReady, TimerFired, TimerKind
from gateway.voice._monitor import Supervision
from gateway.voice._numbers import OwnNumbers
from gateway.voice._recording import CallTape, RecordingSink
from gateway.voice._session import Calls, Leg, LegPurpose, Phase, Playing, Session
from gateway.voice._uris import address_of, user_of
from gateway.voice._voicemail import VoicemailWork
from gateway.voice._waiting import WaitingRoom

__all__ = ["Dispatcher"]

logger = logging.getLogger("helpline.voice")

_OFFER_ENDED = (EventType.TIMED_OUT, EventType.OFFER_REVOKED, EventType.REJECTED)
_LEFT_QUEUE = (EventType.EXITED, EventType.REFUSED)
_WAITING = (InteractionState.WAITING, InteractionState.OFFERED)


class Dispatcher:
    def __init__(
        self,
        media: Media,
        calls: Calls,
        routing: RoutingPort,
        *,
        ivr: IvrDriver,
        waiting: WaitingRoom,
        desk: AgentDesk,
        supervision: Supervision,
        flows: Mapping[str, Flow],
        entry_flow: str,
        own_numbers: OwnNumbers | None = None,
        is_open: IsOpen,
        recordings_dir: Path,
        sink: RecordingSink,
        at_rest: RecordingsAtRest,
    ) -> None:
        self._media = media
        self._calls = calls
        self._routing = routing
        self._ivr = ivr
        self._waiting = waiting
        self._desk = desk
        self._supervision = supervision
        self._flows = flows
        self._entry_flow = entry_flow
        self._own_numbers = own_numbers
        self._is_open = is_open
        self._recordings = recordings_dir
        self._scratch = recordings_dir / SCRATCH_DIR
        self._at_rest = at_rest
        self._clerk = RecordingClerk(recordings_dir, sink, at_rest=at_rest, voicemails=VoicemailWork(routing))

    async def keep_leftovers(self) -> None:
        """Keep, sealed, the segments a gateway that stopped during calls left (before any call is taken)."""
        for left in await asyncio.to_thread(keep_leftovers, self._recordings, self._at_rest):
            logger.warning(
                "call %s: %d recording segment(s) left in %s by a gateway that stopped during the call were "
                "kept %s in %s (%d empty one(s) dropped); they are not filed as the call's recording, since "
                "which interaction it was and where each segment sits in it were known only to that process",
                left.call_id,
                len(left.kept),
                self._scratch,
                "sealed" if self._at_rest.encrypts else "owner-only (no recordings key: unencrypted)",
                left.folder,
                left.dropped,
            )

    async def drain(self, grace: float) -> None:
        await self._clerk.drain(grace)

    # --- worker events ----------------------------------------------------------------------------

    async def worker_event(self, worker_id: int, event: WorkerEvent) -> None:
        if isinstance(event, Incoming):
            await self._incoming(worker_id, event)
        elif isinstance(event, Dialing):
            await self._desk.dialing(event.command_id, event.call_id)
        elif isinstance(event, ErrorEvent) and event.command_id in self._calls.dialing:
            session, leg = self._calls.dialing[event.command_id]
            if leg.purpose is LegPurpose.SUPERVISOR:
                logger.warning("dialling supervisor %s failed: %s", leg.target, event.message)
                await self._supervision.ended(session, leg, 0)
            else:
                await self._desk.dial_failed(event.command_id, event.message)
            await self._settle(session)
        elif isinstance(event, ErrorEvent):
            self._calls.orphans.pop(event.command_id, None)
            logger.warning("media worker %d refused a command: %s", worker_id, event.message)
        elif isinstance(event, State | Dtmf | MediaEnded | Disconnected):
            await self._call_event(event)

    async def _incoming(self, worker_id: int, event: Incoming) -> None:
        loop = asyncio.get_running_loop()
        now = datetime.now(UTC)
        called = user_of(event.to_uri)
        own = self._own_numbers.flow_for(called) if self._own_numbers is not None else None
        run = FlowRun(
            self._flows,
            own or self._entry_flow,
            caller=user_of(event.from_uri),
            now=now,
            is_open=self._is_open,
            called=called,
        )
        folder = self._scratch / event.call_id
        await asyncio.to_thread(private_dirs, self._recordings, folder)
        session = Session(
            key=event.call_id,
            worker_id=worker_id,
            caller_call=event.call_id,
            caller=address_of(event.from_uri),
            caller_id=user_of(event.from_uri),
            run=run,
            tape=CallTape(folder=folder, started_at=now),
            origin=loop.time(),
        )
        self._calls.add(session)
        logger.info("call %s from %s answered by worker %d", session.key, session.caller_id, worker_id)
        await self._media.send(worker_id, Answer(call_id=event.call_id))
        await self._media.record_caller(session)
        await self._ivr.start(session)

    async def _call_event(self, event: State | Dtmf | MediaEnded | Disconnected) -> None:
        session = self._calls.callers.get(event.call_id)
        if session is not None:
            with bind_interaction(session.interaction_id):
                await self._caller_event(session, event)
            await self._settle(session)
            return
        owner = self._calls.legs.get(event.call_id)
        if owner is None:
            return
        session, leg = owner
        with bind_interaction(session.interaction_id):
            if leg.purpose is LegPurpose.SUPERVISOR:
                await self._supervisor_event(session, leg, event)
            elif isinstance(event, State) and event.state is CallState.CONFIRMED:
                await self._desk.leg_answered(session, leg)
            elif isinstance(event, State) and event.state is CallState.EARLY:
                self._desk.leg_ringing(session, leg)
            elif isinstance(event, Disconnected):
                await self._desk.leg_ended(session, leg, event.code)
        await self._settle(session)

    async def _supervisor_event(
        self, session: Session, leg: Leg, event: State | Dtmf | MediaEnded | Disconnected
    ) -> None:
        if isinstance(event, State) and event.state is CallState.CONFIRMED:
            await self._supervision.answered(session, leg)
        elif isinstance(event, Disconnected):
            await self._supervision.ended(session, leg, event.code)

    async def _caller_event(self, session: Session, event: State | Dtmf | MediaEnded | Disconnected) -> None:
        if isinstance(event, Dtmf):
            await self._digit(session, event.digit)
        elif isinstance(event, MediaEnded):
            await self._media_ended(session)
        elif isinstance(event, Disconnected):
            await self._caller_left(session)
        elif event.state is CallState.CONFIRMED and session.phase is Phase.CALLBACK:
            await self._desk.customer_answered(session)

    async def _digit(self, session: Session, digit: str) -> None:
        if session.phase is Phase.QUEUED:
            await self._waiting.digit(session, digit)
        elif session.phase in (Phase.IVR, Phase.VOICEMAIL):
            await self._ivr.digit(session, digit)

    async def _media_ended(self, session: Session) -> None:
        ended, session.playing = session.playing, Playing.NOTHING
        if ended is Playing.PROMPT:
            await self._ivr.prompt_ended(session)
        elif ended is Playing.BEEP:
            await self._ivr.beep_ended(session)
        elif ended is Playing.ANNOUNCEMENT:
            await self._waiting.announcement_ended(session)

    async def _caller_left(self, session: Session) -> None:
        self._calls.callers.pop(session.caller_call or "", None)
        session.caller_call = None
        session.cancel_timer()
        session.cancel_announcements()
        leg, phase = session.leg, session.phase
        if phase is Phase.CALLBACK and not (leg is not None and leg.answered):
            return  # the caller asked to be called back: the interaction keeps its place
        if phase is Phase.QUEUED:
            await self._waiting.abandon(session)
        elif phase in (Phase.CONNECTED, Phase.HELD):
            await self._desk.finish(session, "completed")
        elif phase is Phase.CALLBACK:
            await self._desk.finish(session, "callback_unanswered")
        await self._ivr.feed(session, CallerHungUp())
        session.phase = Phase.ENDED
        if leg is not None:  # the session lasts until the leg is gone too: its recorder must be closed
            await self._media.hang_up_leg(leg)

    # --- routing events ---------------------------------------------------------------------------

    async def routing_event(self, event: RoutingEvent) -> None:
        iid = event.interaction_id or ""
        session = self._calls.interactions.get(iid)
        if session is None or session.interaction_id != iid:
            return
        with bind_interaction(iid):
            await self._routing_event(session, event)
        await self._settle(session)

    async def _routing_event(self, session: Session, event: RoutingEvent) -> None:
        agent = event.agent_id or ""
        if event.type is EventType.OFFERED and session.phase in (Phase.QUEUED, Phase.CALLBACK):
            await self._desk.offered(session, agent, session.interaction_id or "")
        elif event.type in _OFFER_ENDED:
            await self._desk.offer_ended(session, agent)
        elif event.type is EventType.ASSIGNED:
            await self._desk.assigned(session, agent)
        elif event.type in _LEFT_QUEUE:
            kind = event.data.get("kind")
            await self._waiting.exited(session, kind if isinstance(kind, str) else "refused")
            if session.phase is Phase.CALLBACK and session.caller_call is None:
                session.phase = Phase.ENDED  # the callback's interaction left the queue: nobody calls back
        elif event.type is EventType.ENDED:
            await self._desk.ended_elsewhere(session)

    # --- timers, prompts, lost workers --------------------------------------------------------------

    async def timer(self, fired: TimerFired) -> None:
        session = self._calls.sessions.get(fired.key)
        if session is None:
            return
        with bind_interaction(session.interaction_id):
            if fired.kind is TimerKind.ANNOUNCE:
                await self._waiting.announce(session)
            elif fired.token == session.timer_token:
                session.timer = None
                await self._ivr.timer(session, fired.kind)
        await self._settle(session)

    async def speech(self, report: SpeechStarted | SpeechHeard) -> None:
        key = report.listen_id.rpartition("-")[0]  # the IVR driver's ids: "<session key>-<n>"
        session = self._calls.sessions.get(key)
        if session is None:
            return
        with bind_interaction(session.interaction_id):
            await self._ivr.heard(session, report)
        await self._settle(session)

    async def prompt_ready(self, ready: PromptReady) -> None:
        session = self._calls.sessions.get(ready.key)
        if session is None or session.media_token != ready.token or session.caller_call is None:
            return
        if ready.path is not None:
            await self._media.play_current(session, ready.path)
        else:
            await self._media_ended(session)  # an unrenderable prompt is skipped, not waited on forever

    async def worker_lost(self, worker_id: int, call_ids: tuple[str, ...]) -> None:
        lost = set(call_ids)
        for session in list(self._calls.sessions.values()):
            leg_call = session.leg.call_id if session.leg is not None else None
            if session.caller_call in lost or leg_call in lost:
                with bind_interaction(session.interaction_id):
                    await self._lose(session, worker_id)

    async def _lose(self, session: Session, worker_id: int) -> None:
        logger.error("call %s was lost with media worker %d", session.key, worker_id)
        iid = session.interaction_id
        view = self._routing.interaction(iid) if iid is not None else None
        if iid is not None and view is not None and view.state is InteractionState.ASSIGNED:
            await self._routing.end(iid, "media_worker_lost")
        elif iid is not None and view is not None and view.state in _WAITING:
            await self._routing.drop(iid, "media_worker_lost")  # the caller did not hang up
        session.lost = True
        self._calls.callers.pop(session.caller_call or "", None)
        if session.leg is not None:
            self._calls.drop_leg(session, session.leg)
        session.caller_call, session.phase = None, Phase.ENDED
        await self._ivr.feed(session, CallerHungUp())
        await self._settle(session)

    # --- the end of a session ---------------------------------------------------------------------

    async def _settle(self, session: Session) -> None:
        await self._supervision.check(session)
        if not session.gone or session.key not in self._calls.sessions:
            return
        session.cancel_timer()
        session.cancel_announcements()
        self._calls.forget(session)
        logger.info("call %s is over", session.key)
        self._clerk.file(session)
