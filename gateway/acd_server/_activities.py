"""What the customer's case is told when work ends, and when.

Work an agent finished is logged as soon as its disposition is known: given with the End, or during the
wrap-up that follows (`wrap_up`), or, when none is given, once the agent's wrap-up is over. Its wrap-up
seconds run from the end until then; it links the call's recording. Work that never reached an agent
(abandoned, an exit taken, refused) is logged at once with its wait. The CRM desk writes it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from gateway.acd import Event, EventType, InteractionView, PresenceKind, Router
from gateway.acd_server._projection import exit_outcome
from gateway.acd_server.port import CustomerDesk, WorkDone
from gateway.logs import bind_interaction

__all__ = ["CaseLog", "RecordingLinks"]

logger = logging.getLogger("helpline.cti")

RecordingLinks = Callable[[str], Awaitable[Sequence[str]]]
"""The links to an interaction's recordings, the one to play first first (empty when it has none)."""

_NOT_SERVED = (EventType.ABANDONED, EventType.EXITED, EventType.REFUSED)
_WRAP_UP_OVER = (EventType.WRAP_UP_ENDED, EventType.PRESENCE_CHANGED)


@dataclass(slots=True)
class _Closing:
    view: InteractionView
    agent_id: str
    done: WorkDone
    ended_at: float  # monotonic


class CaseLog:
    def __init__(
        self,
        desk: CustomerDesk,
        recordings: RecordingLinks,
        *,
        recording_grace_seconds: float = 5.0,
    ) -> None:
        self._desk = desk
        self._recordings = recordings
        self._grace = recording_grace_seconds
        self._closing: dict[str, _Closing] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def fold(self, event: Event, router: Router, done: WorkDone | None) -> None:
        """Called for every routing event, with what the agent's side said if it ended this interaction."""
        iid, agent_id = event.interaction_id, event.agent_id
        view = router.interaction(iid) if iid is not None else None
        if event.type in _NOT_SERVED and view is not None:
            self._log(view, None, WorkDone(disposition=_outcome(event)), wrap_up=0.0)
        elif event.type is EventType.ENDED and view is not None and agent_id is not None:
            self._closing[view.id] = _Closing(view, agent_id, done or WorkDone(), time.monotonic())
            if done is not None and done.disposition is not None:
                self._close(view.id)
            else:
                self._unless_wrapping_up(router, agent_id)
        elif event.type in _WRAP_UP_OVER and agent_id is not None:
            self._unless_wrapping_up(router, agent_id)

    def _unless_wrapping_up(self, router: Router, agent_id: str) -> None:
        waiting = any(c.agent_id == agent_id for c in self._closing.values())
        if waiting and router.agent(agent_id).presence.kind is not PresenceKind.WRAP_UP:
            for iid in [i for i, c in self._closing.items() if c.agent_id == agent_id]:
                self._close(iid)

    def wrap_up(self, interaction_id: str, agent_id: str, done: WorkDone) -> bool:
        """The agent gave the disposition and notes during wrap-up: log now. False when the interaction is
        not one of theirs waiting for its wrap-up (already logged, or never theirs)."""
        closing = self._closing.get(interaction_id)
        if closing is None or closing.agent_id != agent_id:
            return False
        closing.done = replace(closing.done, disposition=done.disposition, notes=done.notes)
        self._close(interaction_id)
        return True

    def _close(self, interaction_id: str) -> None:
        closing = self._closing.pop(interaction_id)
        wrap_up = time.monotonic() - closing.ended_at
        self._log(closing.view, closing.agent_id, closing.done, wrap_up=wrap_up)

    def _log(self, view: InteractionView, agent_id: str | None, done: WorkDone, *, wrap_up: float) -> None:
        task = asyncio.create_task(self._write(view, agent_id, done, wrap_up), name=f"cti-log-{view.id}")
        self._tasks[view.id] = task
        task.add_done_callback(lambda _: self._tasks.pop(view.id, None))

    async def written(self, interaction_id: str, *, within: float = 10.0) -> None:
        """Until the interaction's activity is written (if it is being written), at most `within` s."""
        task = self._tasks.get(interaction_id)
        if task is not None:
            await asyncio.wait({task}, timeout=within)

    async def _write(
        self, view: InteractionView, agent_id: str | None, done: WorkDone, wrap_up: float
    ) -> None:
        with bind_interaction(view.id):
            try:
                links = await self._links(view) if agent_id is not None and _has_case(view) else ()
                done = replace(done, wrap_up_seconds=wrap_up, recording_url=links[0] if links else None)
                await self._desk.finish(view, agent_id, done)
            except Exception:
                logger.exception("could not log interaction %s on its case", view.id)

    async def _links(self, view: InteractionView) -> Sequence[str]:
        """The recording's links: a call's (which the voice service files into the database a moment after
        the call ends: look again, a bounded number of times), or the message a voicemail item carries."""
        voicemail = dict(view.attributes).get("voicemail_url")
        if str(view.channel) != "voice":
            return (voicemail,) if isinstance(voicemail, str) else ()
        tries = 1 + int(self._grace / 0.25)
        for attempt in range(tries):
            links = await self._recordings(view.id)
            if links or attempt == tries - 1:
                return links
            await asyncio.sleep(0.25)
        return ()

    async def close(self) -> None:
        """Write what wrap-ups are still open, and let the writes under way finish (bounded)."""
        for iid in list(self._closing):
            self._close(iid)
        if self._tasks:
            await asyncio.wait(set(self._tasks.values()), timeout=self._grace + 5.0)


def _has_case(view: InteractionView) -> bool:
    """Only a known customer's work is filed on a case: nobody else's needs its links looked up."""
    return view.customer is not None and view.customer.customer_id is not None


def _outcome(event: Event) -> str:
    """What the case says of work no agent finished: "abandoned", the exit taken, or why it was refused
    or disconnected."""
    detail = exit_outcome(event)
    return f"{event.type}: {detail}" if detail else str(event.type)
