"""What an agent does to a connected call from the panel: hold, resume, blind transfer.

A blind transfer ends the agent's interaction as `transferred` and hangs up the agent's leg. To a queue
or to an agent the caller gets a new interaction (to an agent: the same queue with that agent preferred)
and waits with music; to a number or URI the gateway dials it and bridges the caller when it answers.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from enum import StrEnum

from gateway.acd import Channel, UnknownAgent
from gateway.acd_server import RoutingPort, WorkDone
from gateway.ivr import Announcements, StartQueue
from gateway.voice._agents import AgentDesk
from gateway.voice._media import Media
from gateway.voice._outbound import DialUri
from gateway.voice._session import Calls, Phase, Session
from gateway.voice._waiting import WaitingRoom
from gateway.voice.errors import CallNotFoundError

__all__ = ["CallControl", "DialUri", "TargetKind", "TransferTarget", "parse_target"]

_NUMBER = re.compile(r"^\+?[0-9*#]{1,32}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class TargetKind(StrEnum):
    QUEUE = "queue"
    AGENT = "agent"
    URI = "uri"
    NUMBER = "number"


@dataclass(frozen=True, slots=True)
class TransferTarget:
    kind: TargetKind
    value: str


def parse_target(target: str) -> TransferTarget:
    """`queue:<id>`, `agent:<id>`, a `sip:`/`sips:` URI, or a phone number; ValueError otherwise."""
    target = target.strip()
    prefix, _, rest = target.partition(":")
    if prefix in (TargetKind.QUEUE, TargetKind.AGENT) and _NAME.match(rest):
        return TransferTarget(TargetKind(prefix), rest)
    if prefix in ("sip", "sips") and rest and not any(c in rest for c in " \r\n<>"):
        return TransferTarget(TargetKind.URI, target)
    if _NUMBER.match(target):
        return TransferTarget(TargetKind.NUMBER, target)
    raise ValueError(f"transfer target {target!r}: use queue:<id>, agent:<id>, a sip: URI or a number")


class CallControl:
    def __init__(
        self,
        media: Media,
        routing: RoutingPort,
        calls: Calls,
        desk: AgentDesk,
        waiting: WaitingRoom,
        *,
        dial_uri: DialUri | None = None,
    ) -> None:
        self._media = media
        self._routing = routing
        self._calls = calls
        self._desk = desk
        self._waiting = waiting
        self._dial_uri = dial_uri

    async def hold(self, interaction_id: str) -> None:
        session = self._connected(interaction_id, Phase.CONNECTED)
        assert session.leg is not None
        await self._media.unbridge(session, session.leg)
        await self._media.music(session)
        session.phase = Phase.HELD
        session.held_since = time.monotonic()

    async def resume(self, interaction_id: str) -> None:
        session = self._connected(interaction_id, Phase.HELD)
        assert session.leg is not None
        await self._media.stop(session)
        await self._media.bridge(session, session.leg)
        session.phase = Phase.CONNECTED
        session.end_hold()

    async def pause_recording(self, interaction_id: str) -> None:
        """Stop both recorders; the gap becomes silence of the same length when the files are assembled."""
        session = self._connected(interaction_id, Phase.CONNECTED, Phase.HELD)
        assert session.leg is not None
        await self._media.pause_caller(session)
        await self._media.pause_leg(session, session.leg)

    async def resume_recording(self, interaction_id: str) -> None:
        session = self._connected(interaction_id, Phase.CONNECTED, Phase.HELD)
        assert session.leg is not None
        await self._media.record_caller(session)
        if not session.tape.agent.recording:
            await self._media.record_leg(session, session.leg)

    async def hang_up(self, interaction_id: str) -> None:
        """The agent's panel ends the call: the caller is hung up and the usual end follows."""
        session = self._connected(interaction_id, Phase.CONNECTED, Phase.HELD)
        await self._media.hang_up_caller(session)

    async def transfer(self, interaction_id: str, target: str) -> None:
        where = parse_target(target)
        uri = self._uri(where)
        session = self._connected(interaction_id, Phase.CONNECTED, Phase.HELD)
        view = self._routing.interaction(interaction_id)
        queue = self._agent_queue(where, view.queue if view is not None else "")
        await self._release_agent(session)
        await self._routing.end(interaction_id, "transferred", WorkDone(hold_seconds=session.held_seconds()))
        if uri is not None:
            await self._desk.dial_transfer(session, uri)
        elif where.kind is TargetKind.QUEUE:
            await self._waiting.enter(session, self._start(session, where.value))
        else:
            await self._waiting.enter(session, self._start(session, queue), preferred_agent=where.value)

    def _agent_queue(self, where: TransferTarget, current: str) -> str:
        """To an agent: the call's queue if they may take it, else one of theirs (ValueError if none)."""
        if where.kind is not TargetKind.AGENT:
            return current
        try:
            queue = self._routing.queue_for_agent(where.value, Channel.VOICE, first=current)
        except UnknownAgent:
            raise ValueError(f"transfer target agent {where.value!r}: no such agent") from None
        if queue is None:
            raise ValueError(f"transfer target agent {where.value!r}: takes calls in no voice queue")
        return queue

    def _uri(self, where: TransferTarget) -> str | None:
        if where.kind is TargetKind.URI:
            return where.value
        if where.kind is not TargetKind.NUMBER:
            return None
        uri = self._dial_uri(where.value) if self._dial_uri is not None else None
        if uri is None:
            raise ValueError(f"transfer target {where.value!r}: no route to phone numbers is configured")
        return uri

    def _connected(self, interaction_id: str, *phases: Phase) -> Session:
        session = self._calls.interactions.get(interaction_id)
        if session is None or session.interaction_id != interaction_id or session.leg is None:
            raise CallNotFoundError(interaction_id)
        if session.phase not in phases:
            raise CallNotFoundError(interaction_id, f"the call is {session.phase}, not {' or '.join(phases)}")
        return session

    async def _release_agent(self, session: Session) -> None:
        leg = session.leg
        assert leg is not None
        await self._media.unbridge(session, leg)
        self._calls.drop_leg(session, leg)
        await self._media.hang_up_leg(leg)
        session.tape.agent.close()
        session.phase = Phase.QUEUED

    def _start(self, session: Session, queue: str) -> StartQueue:
        """How the caller waits in the transfer's queue: like in the first queue, without exit keys."""
        before = session.queue
        return StartQueue(
            queue=queue,
            priority=before.priority if before is not None else 0,
            skills=(),
            announcements=before.announcements if before is not None else Announcements(),
            music_on_hold=before.music_on_hold if before is not None else None,
            allow_callback=None,
            allow_voicemail=None,
        )
