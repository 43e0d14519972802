"""A caller waiting in a queue: the interaction in the routing core, music on hold, announcements, exits.

The caller hears music on hold, interrupted every N seconds by their position and estimated wait. They
may press a key to leave a voicemail instead, or to be called back: the interaction then keeps its place
in the queue and the caller is dialled once an agent has taken it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Set
from typing import Protocol

from pydantic import ValidationError

from gateway.acd import Channel, InteractionState, InteractionView, RoutingError
from gateway.acd_server import AcdServer
from gateway.acd_server.schemas import InteractionIn, SkillLevel
from gateway.ivr import Announcements, Input, QueueExit, QueueExited, StartQueue
from gateway.logs import bind_interaction
from gateway.voice._media import Media
from gateway.voice._session import Calls, Phase, Playing, Session

__all__ = ["FlowFeeder", "WaitingRoom"]

logger = logging.getLogger("helpline.voice")

_WAITING = (InteractionState.WAITING, InteractionState.OFFERED)
_MAX_ATTRIBUTES = 100
_MAX_KEY = 64
_EXIT_KINDS = {"voicemail": QueueExit.VOICEMAIL}


class FlowFeeder(Protocol):
    async def feed(self, session: Session, event: Input) -> None: ...


class WaitingRoom:
    def __init__(self, media: Media, hub: AcdServer, calls: Calls, *, handle_seconds: float = 180.0) -> None:
        if handle_seconds <= 0:
            raise ValueError(f"voice: handle_seconds must be > 0, got {handle_seconds}")
        self._media = media
        self._hub = hub
        self._calls = calls
        self._handle_seconds = handle_seconds
        self._flow: FlowFeeder | None = None

    def bind(self, flow: FlowFeeder) -> None:
        self._flow = flow

    async def enter(self, session: Session, start: StartQueue, preferred_agent: str | None = None) -> None:
        """Create the interaction and start the music; a queue that cannot be entered ends the wait."""
        body = _interaction_in(
            start, session.run.attributes, session.run.sensitive_attributes, preferred_agent
        )
        try:
            view = await self._hub.create_interaction(body)
        except (RoutingError, ValidationError):
            logger.exception("call %s: could not enter queue %r", session.key, start.queue)
            if session.run.finished:  # a transfer from an agent: no flow is left to decide
                await self._media.hang_up_caller(session)
            else:
                await self._feed(session, QueueExited(QueueExit.GAVE_UP))
            return
        self._calls.bind_interaction(session, view.id)
        session.queue, session.phase = start, Phase.QUEUED
        with bind_interaction(view.id):
            logger.info("call %s waits in queue %s", session.key, start.queue)
        self._media.set_music(session, start.music_on_hold)
        await self._media.music(session)
        if start.announcements is not None:
            self._media.arm_announcement(session, start.announcements.every_seconds)

    async def announce(self, session: Session) -> None:
        start, iid = session.queue, session.interaction_id
        if session.phase is not Phase.QUEUED or start is None or start.announcements is None or iid is None:
            return
        view = self._hub.router.interaction(iid)
        if view is None or view.state not in _WAITING:
            return
        text = self._announcement(session, view, start, start.announcements)
        if text:
            self._media.say(session, text, Playing.ANNOUNCEMENT)  # the next is armed when it ends
        else:
            self._media.arm_announcement(session, start.announcements.every_seconds)

    async def announcement_ended(self, session: Session) -> None:
        """Music again; the interval to the next announcement counts from the end of this one."""
        if session.phase is Phase.QUEUED:
            await self._media.music(session)
            if session.queue is not None and session.queue.announcements is not None:
                self._media.arm_announcement(session, session.queue.announcements.every_seconds)

    async def digit(self, session: Session, digit: str) -> bool:
        """A key pressed while waiting; True if it made the caller leave the queue."""
        start = session.queue
        if start is None or session.phase is not Phase.QUEUED:
            return False
        if digit == start.allow_callback:
            await self._callback(session)
            return True
        if digit == start.allow_voicemail:
            await self._leave(session, abandon=True)
            await self._feed(session, QueueExited(QueueExit.VOICEMAIL))
            return True
        return False

    async def exited(self, session: Session, kind: str) -> None:
        """The routing core let go of the call (max wait, closed, queue full): the flow decides what next."""
        if session.phase is not Phase.QUEUED:
            return
        await self._leave(session, abandon=False)
        if kind == "callback":
            logger.warning("call %s: a callback exit is handled as the queue giving up", session.key)
        await self._feed(session, QueueExited(_EXIT_KINDS.get(kind, QueueExit.GAVE_UP)))

    async def abandon(self, session: Session) -> None:
        """The caller hung up while waiting (or while an agent's phone rang)."""
        iid = session.interaction_id
        session.cancel_announcements()
        view = self._hub.router.interaction(iid) if iid is not None else None
        if iid is None or view is None or view.state not in _WAITING:
            return
        with bind_interaction(iid):
            logger.info("call %s abandoned after %.1f s", session.key, _waited(view))
            await self._hub.abandon(iid)

    # --- helpers ----------------------------------------------------------------------------------

    async def _callback(self, session: Session) -> None:
        session.cancel_announcements()
        await self._media.stop(session)
        session.phase = Phase.CALLBACK
        with bind_interaction(session.interaction_id):
            logger.info("call %s keeps its place for a callback to %s", session.key, session.caller)
        await self._feed(session, QueueExited(QueueExit.CALLBACK))

    async def _leave(self, session: Session, *, abandon: bool) -> None:
        session.cancel_announcements()
        if abandon:
            await self.abandon(session)
        if session.leg is not None:
            await self._media.hang_up_leg(session.leg)
        await self._media.stop(session)
        session.phase = Phase.IVR

    async def _feed(self, session: Session, event: Input) -> None:
        assert self._flow is not None, "WaitingRoom.bind() was not called"
        await self._flow.feed(session, event)

    def _announcement(
        self, session: Session, view: InteractionView, start: StartQueue, wanted: Announcements
    ) -> str:
        position = self._position(session, view)
        parts = []
        if wanted.position:
            parts.append(f"You are number {position} in the queue.")
        if wanted.estimated_wait:
            minutes = max(1, math.ceil(self._estimate(view.queue, position) / 60))
            parts.append(f"Your estimated wait is about {minutes} minute{'s' if minutes > 1 else ''}.")
        if start.allow_callback:
            parts.append(f"To be called back instead, press {_key(start.allow_callback)}.")
        if start.allow_voicemail:
            parts.append(f"To leave a voicemail, press {_key(start.allow_voicemail)}.")
        return " ".join(parts)

    def _position(self, session: Session, view: InteractionView) -> int:
        """1 + the calls of this service waiting in the same queue ahead of this one."""
        ahead = 0
        for iid, other in self._calls.interactions.items():
            theirs = self._hub.router.interaction(iid) if other is not session else None
            if theirs is not None and theirs.queue == view.queue and theirs.state in _WAITING:
                ahead += (-theirs.priority, theirs.enqueue_time) < (-view.priority, view.enqueue_time)
        return ahead + 1

    def _estimate(self, queue: str, position: int) -> float:
        """Seconds: position x the queue's average handle time, shared among the agents signed in."""
        stats = self._hub.stats.stats(queue)
        handle = stats.handle_total / stats.handled if stats.handled else self._handle_seconds
        snapshot = self._hub.router.queue_snapshot(queue)
        staffed = max(1, snapshot.agents_available + snapshot.agents_busy)
        return position * handle / staffed


def _interaction_in(
    start: StartQueue, attributes: Mapping[str, str], sensitive: Set[str], preferred_agent: str | None
) -> InteractionIn:
    # Sensitive entries (card numbers, PINs) stay out of the routing log and the agent's screen.
    kept = {k: v for k, v in attributes.items() if k not in sensitive and 0 < len(k) <= _MAX_KEY}
    return InteractionIn(
        channel=Channel.VOICE,
        queue=start.queue,
        skills=tuple(SkillLevel(skill=s.skill, min_level=s.min_level) for s in start.skills),
        priority=max(0, min(100, start.priority)),
        attributes=dict(list(kept.items())[:_MAX_ATTRIBUTES]),
        preferred_agent=preferred_agent,
        customer_ref=None,
    )


def _key(digit: str) -> str:
    return {"*": "star", "#": "hash"}.get(digit, digit)


def _waited(view: InteractionView) -> float:
    return max(0.0, time.time() - view.enqueue_time)
