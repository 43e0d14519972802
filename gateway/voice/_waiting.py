"""A caller waiting in a queue: the interaction in the routing core, music on hold, announcements, exits.

The caller hears music on hold, interrupted every N seconds by their position and estimated wait (both
from the routing port). They may press a key to leave a voicemail instead, or to be called back: the
interaction then keeps its place in the queue and the caller is dialled once an agent has taken it. A queue
whose max-wait or closed exit is `callback` does the same for them.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Mapping, Set
from dataclasses import replace
from typing import Protocol

from gateway.acd import Channel, InteractionState, InteractionView, NewInteraction, RoutingError
from gateway.acd_server import RoutingPort, WaitEstimate
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
    def __init__(self, media: Media, routing: RoutingPort, calls: Calls) -> None:
        self._media = media
        self._routing = routing
        self._calls = calls
        self._flow: FlowFeeder | None = None

    def bind(self, flow: FlowFeeder) -> None:
        self._flow = flow

    async def enter(self, session: Session, start: StartQueue, preferred_agent: str | None = None) -> None:
        """Create the interaction and start the music; a queue that cannot be entered ends the wait."""
        new = _new_interaction(session, start, preferred_agent)
        try:
            view = await self._routing.enqueue(new)
        except (RoutingError, ValueError):
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
        view = self._routing.interaction(iid)
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
        """The routing core let go of the call (max wait, closed, queue full): the flow decides what next.

        A `callback` exit keeps the caller's word for them: the call is filed again as a callback that keeps
        its place (its original wait) and is dialled back once an agent takes it, as if they had pressed
        the queue's callback key. A callback the caller already asked for is filed again whatever the exit:
        no max wait or closing time cancels it.
        """
        if session.phase is Phase.CALLBACK and session.dialled_by is None:
            await self._refile_for_callback(session)
            return
        if session.phase is not Phase.QUEUED:
            return
        if kind == "callback" and await self._refile_for_callback(session):
            await self._callback(session)
            return
        await self._leave(session, abandon=False)
        await self._feed(session, QueueExited(_EXIT_KINDS.get(kind, QueueExit.GAVE_UP)))

    async def abandon(self, session: Session) -> None:
        """The caller hung up while waiting (or while an agent's phone rang)."""
        iid = session.interaction_id
        session.cancel_announcements()
        view = self._routing.interaction(iid) if iid is not None else None
        if iid is None or view is None or view.state not in _WAITING:
            return
        with bind_interaction(iid):
            logger.info("call %s abandoned after %.1f s", session.key, _waited(view))
            await self._routing.abandon(iid)

    # --- helpers ----------------------------------------------------------------------------------

    async def _refile_for_callback(self, session: Session) -> bool:
        exited = self._routing.interaction(session.interaction_id or "")
        start = session.queue
        if exited is None or start is None:
            return False
        new = replace(_new_interaction(session, start, None), enqueue_time=exited.enqueue_time, callback=True)
        try:
            view = await self._routing.enqueue(new)
        except (RoutingError, ValueError):
            logger.exception("call %s: the callback could not be filed", session.key)
            return False
        self._calls.bind_interaction(session, view.id)
        session.recorded_for = view.id  # the conversation, when it happens, belongs to the callback
        return True

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
        estimate = self._routing.wait_estimate(view.id) or WaitEstimate(1, 60.0)
        parts = []
        if wanted.position:
            parts.append(f"You are number {estimate.position} in the queue.")
        if wanted.estimated_wait:
            minutes = max(1, math.ceil(estimate.seconds / 60))
            parts.append(f"Your estimated wait is about {minutes} minute{'s' if minutes > 1 else ''}.")
        if start.allow_callback:
            parts.append(f"To be called back instead, press {_key(start.allow_callback)}.")
        if start.allow_voicemail:
            parts.append(f"To leave a voicemail, press {_key(start.allow_voicemail)}.")
        return " ".join(parts)


def _new_interaction(session: Session, start: StartQueue, preferred_agent: str | None) -> NewInteraction:
    # Sensitive entries (card numbers, PINs) stay out of the routing log and the agent's screen.
    sensitive: Set[str] = session.run.sensitive_attributes
    attributes: Mapping[str, str] = session.run.attributes
    kept = {k: v for k, v in attributes.items() if k not in sensitive and 0 < len(k) <= _MAX_KEY}
    return NewInteraction(
        id=uuid.uuid4().hex,
        channel=Channel.VOICE,
        queue=start.queue,
        skills=tuple(start.skills) or None,
        priority=max(0, min(100, start.priority)),
        attributes=dict(list(kept.items())[:_MAX_ATTRIBUTES]),
        preferred_agent=preferred_agent,
        customer=session.customer,
    )


def _key(digit: str) -> str:
    return {"*": "star", "#": "hash"}.get(digit, digit)


def _waited(view: InteractionView) -> float:
    return max(0.0, time.time() - view.enqueue_time)
