"""`VoiceService`: the gateway's call control, between the media workers, the IVR and the routing core.

Worker events, routing events, timers and the panel's requests all go through one inbox and are handled
one at a time by one task, so a call's state never changes under a handler's feet. Handlers may await
the routing port: it delivers the events that produces back to the inbox, to be handled next.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.acd import Event as RoutingEvent
from gateway.acd_server import RoutingPort
from gateway.ivr import Flow, IsOpen, UnknownFlowError
from gateway.sip import Event as WorkerEvent
from gateway.sip import WorkerPool
from gateway.voice._agents import AgentDesk, AgentUri
from gateway.voice._at_rest import RecordingsAtRest
from gateway.voice._control import CallControl
from gateway.voice._dispatch import Dispatcher
from gateway.voice._ivr import CustomerLookup, IvrDriver
from gateway.voice._leftovers import SCRATCH_DIR
from gateway.voice._listening import SpeechHeard, SpeechListener, SpeechStarted
from gateway.voice._media import Media, PromptReady, TimerFired
from gateway.voice._monitor import MonitorStatus, Supervision
from gateway.voice._numbers import OwnNumbers
from gateway.voice._outbound import DialUri, Outbound
from gateway.voice._prompts import RATES, PromptCache
from gateway.voice._recording import RecordingSink
from gateway.voice._session import Calls, MonitorMode
from gateway.voice._trail import IvrTrail
from gateway.voice._waiting import WaitingRoom

__all__ = ["EventRelay", "VoiceService"]

logger = logging.getLogger("helpline.voice")

_STOP_GRACE = 30.0
_RING_WAIT = 8.0  # a click-to-dial answers once the agent's phone rings, or after this long anyway


@dataclass(frozen=True, slots=True)
class _WorkerItem:
    worker_id: int
    event: WorkerEvent


@dataclass(frozen=True, slots=True)
class _LostItem:
    worker_id: int
    call_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Request:
    run: Callable[[], Awaitable[Any]]
    done: asyncio.Future[Any]


class VoiceService:
    """Answers calls, runs their IVR flow, queues them, rings agents, bridges and records.

    Feed it the pool's events (see `EventRelay`), then `await start()`; `await stop()` before the pool
    stops. `hold`, `resume`, `transfer` and `click_to_dial` are for the agent's panel (REST).
    `dial_uri` routes phone numbers (transfers, callbacks, click-to-dial); `outbound_queue` is the queue
    click-to-dial calls are filed under (default: the agent's first voice queue). `monitor`,
    `monitor_mode` and `stop_monitoring` let a supervisor listen in from the phone `user_uri` gives
    (default: `agent_uri`). With `speech` (a recogniser), menus with `speech:` keywords listen as well.
    """

    def __init__(
        self,
        pool: WorkerPool,
        flows: Mapping[str, Flow],
        routing: RoutingPort,
        *,
        entry_flow: str = "main",
        prompts: PromptCache,
        recordings_dir: Path,
        agent_uri: AgentUri,
        is_open: IsOpen,
        recording_sink: RecordingSink,
        prompt_rate: int = 16000,
        media_root: Path | None = None,
        music_on_hold: Path | None = None,
        lookup: CustomerLookup | None = None,
        dial_uri: DialUri | None = None,
        outbound_queue: str | None = None,
        own_numbers: OwnNumbers | None = None,
        user_uri: AgentUri | None = None,
        at_rest: RecordingsAtRest | None = None,
        speech: SpeechListener | None = None,
    ) -> None:
        for flow in {entry_flow, *(own_numbers.flows() if own_numbers is not None else ())}:
            if flow not in flows:
                raise UnknownFlowError(flow, flows)
        if prompt_rate not in RATES:
            raise ValueError(f"voice: prompt_rate must be one of {RATES}, got {prompt_rate}")
        self._routing = routing
        self._inbox: asyncio.Queue[object] = asyncio.Queue()
        self._calls = Calls()
        self._media = Media(
            pool,
            prompts,
            self._inbox.put_nowait,
            rate=prompt_rate,
            media_root=media_root,
            music_on_hold=music_on_hold,
        )
        trail = IvrTrail(routing, flows)
        ivr = IvrDriver(
            self._media, recordings_dir=recordings_dir, lookup=lookup, listener=speech, trail=trail
        )
        if speech is not None:
            speech.connect(self._inbox.put_nowait)
        waiting = WaitingRoom(self._media, routing, self._calls)
        desk = AgentDesk(self._media, routing, self._calls, agent_uri=agent_uri, dial_uri=dial_uri)
        self._supervision = Supervision(self._media, routing, self._calls, phone_uri=user_uri or agent_uri)
        ivr.bind(waiting, desk)
        waiting.bind(ivr)
        desk.bind(ivr)
        self._control = CallControl(self._media, routing, self._calls, desk, waiting, dial_uri=dial_uri)
        self._outbound = Outbound(
            self._media,
            routing,
            self._calls,
            agent_uri=agent_uri,
            dial_uri=dial_uri,
            scratch=recordings_dir / SCRATCH_DIR,
            queue=outbound_queue,
        )
        self._dispatch = Dispatcher(
            self._media,
            self._calls,
            routing,
            ivr=ivr,
            waiting=waiting,
            desk=desk,
            supervision=self._supervision,
            flows=flows,
            entry_flow=entry_flow,
            own_numbers=own_numbers,
            is_open=is_open,
            recordings_dir=recordings_dir,
            sink=recording_sink,
            at_rest=at_rest or RecordingsAtRest(),
        )
        self._task: asyncio.Task[None] | None = None
        self._subscribed = False

    # --- life cycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Before the first call: what calls cut off by an earlier stop left is kept (see `_leftovers`)."""
        if not self._subscribed:
            await self._dispatch.keep_leftovers()
            self._routing.subscribe(self._on_routing)
            self._subscribed = True
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="helpline.voice")

    async def stop(self) -> None:
        """Stop handling events; recordings already being assembled are finished first."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._media.close()
        await self._dispatch.drain(_STOP_GRACE)

    # --- inputs -----------------------------------------------------------------------------------

    async def on_event(self, worker_id: int, event: WorkerEvent) -> None:
        """The pool's `on_event` handler."""
        self._inbox.put_nowait(_WorkerItem(worker_id, event))

    async def on_worker_lost(self, worker_id: int, call_ids: tuple[str, ...]) -> None:
        """The pool's `on_worker_lost` handler."""
        self._inbox.put_nowait(_LostItem(worker_id, call_ids))

    async def _on_routing(self, events: Sequence[RoutingEvent]) -> None:
        if self._task is None:
            return
        for event in events:
            if event.interaction_id is not None:
                self._inbox.put_nowait(event)

    # --- the panel's requests ---------------------------------------------------------------------

    async def hold(self, interaction_id: str) -> None:
        """Put the caller on hold (they hear music); CallNotFoundError if no connected call has it."""
        await self._request(lambda: self._control.hold(interaction_id))

    async def resume(self, interaction_id: str) -> None:
        """Take the caller off hold."""
        await self._request(lambda: self._control.resume(interaction_id))

    async def pause_recording(self, interaction_id: str) -> None:
        """Pause both legs' recorders (the gap is silence in the files, so timing stays true)."""
        await self._request(lambda: self._control.pause_recording(interaction_id))

    async def resume_recording(self, interaction_id: str) -> None:
        await self._request(lambda: self._control.resume_recording(interaction_id))

    async def hang_up(self, interaction_id: str) -> None:
        """Hang up the caller from the agent's panel."""
        await self._request(lambda: self._control.hang_up(interaction_id))

    async def transfer(self, interaction_id: str, target: str) -> None:
        """Blind transfer to `queue:<id>`, `agent:<id>`, a `sip:` URI or a number (ValueError if bad)."""
        await self._request(lambda: self._control.transfer(interaction_id, target))

    async def monitor(self, interaction_id: str, supervisor_id: str, mode: MonitorMode) -> MonitorStatus:
        """Ring the supervisor's own phone; answered, it joins the agent's call in `mode`. CallNotFoundError
        if no agent's call is connected under that id; MonitorError if the supervisor cannot join."""
        status: MonitorStatus = await self._request(
            lambda: self._supervision.join(interaction_id, supervisor_id, mode)
        )
        return status

    async def monitor_mode(self, interaction_id: str, supervisor_id: str, mode: MonitorMode) -> MonitorStatus:
        """Switch between listen, whisper and barge (NotMonitoring unless this supervisor is on the call)."""
        status: MonitorStatus = await self._request(
            lambda: self._supervision.change(interaction_id, supervisor_id, mode)
        )
        return status

    async def stop_monitoring(self, interaction_id: str, supervisor_id: str) -> MonitorStatus:
        """Hang up the supervisor's leg; the call goes on as it was."""
        status: MonitorStatus = await self._request(
            lambda: self._supervision.leave(interaction_id, supervisor_id)
        )
        return status

    async def monitoring(self, interaction_id: str) -> MonitorStatus | None:
        """Who is on the call as a supervisor, in which mode, and whether their phone answered yet."""
        status: MonitorStatus | None = await self._request(self._status_of(interaction_id))
        return status

    def _status_of(self, interaction_id: str) -> Callable[[], Awaitable[MonitorStatus | None]]:
        async def read() -> MonitorStatus | None:
            return self._supervision.status(interaction_id)

        return read

    async def click_to_dial(self, agent_id: str, number: str, *, attributes: Mapping[str, str]) -> str:
        """Ring the agent's phone, then call `number` through the trunk and bridge the two; returns the
        interaction id once the phone rings. DialError if the call cannot be placed or the phone fails."""
        ringing: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Whoever gives up waiting first, a failure reported later is still retrieved (and not logged).
        ringing.add_done_callback(lambda f: f.cancelled() or f.exception())
        interaction_id: str = await self._request(
            lambda: self._outbound.place(agent_id, number, attributes, ringing)
        )
        try:
            async with asyncio.timeout(_RING_WAIT):
                await asyncio.shield(ringing)
        except TimeoutError:
            logger.warning("click-to-dial %s: no word from the agent's phone yet", interaction_id)
        return interaction_id

    async def _request(self, run: Callable[[], Awaitable[Any]]) -> Any:
        if self._task is None:
            raise RuntimeError("the voice service is not started")
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._inbox.put_nowait(_Request(run, done))
        return await done

    # --- the actor --------------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            item = await self._inbox.get()
            try:
                await self._handle(item)
            except Exception:
                logger.exception("voice: handling %r failed", item)

    async def _handle(self, item: object) -> None:
        if isinstance(item, _WorkerItem):
            await self._dispatch.worker_event(item.worker_id, item.event)
        elif isinstance(item, RoutingEvent):
            await self._dispatch.routing_event(item)
        elif isinstance(item, TimerFired):
            await self._dispatch.timer(item)
        elif isinstance(item, PromptReady):
            await self._dispatch.prompt_ready(item)
        elif isinstance(item, SpeechStarted | SpeechHeard):
            await self._dispatch.speech(item)
        elif isinstance(item, _LostItem):
            await self._dispatch.worker_lost(item.worker_id, item.call_ids)
        elif isinstance(item, _Request):
            await self._serve(item)

    async def _serve(self, request: _Request) -> None:
        try:
            result = await request.run()
        except Exception as exc:
            if not request.done.done():
                request.done.set_exception(exc)
            return
        if not request.done.done():
            request.done.set_result(result)


class EventRelay:
    """Breaks the construction cycle: the pool needs handlers before the service that owns them exists.

    Use:

        relay = EventRelay()
        pool = WorkerPool(..., on_event=relay.on_event, on_worker_lost=relay.on_worker_lost)
        voice = VoiceService(pool, ...)
        relay.connect(voice)
    """

    def __init__(self) -> None:
        self._target: VoiceService | None = None

    def connect(self, service: VoiceService) -> None:
        self._target = service

    async def on_event(self, worker_id: int, event: WorkerEvent) -> None:
        if self._target is not None:
            await self._target.on_event(worker_id, event)
        else:
            logger.warning(
                "media worker %d: %s before the voice service was connected", worker_id, event.TYPE
            )

    async def on_worker_lost(self, worker_id: int, call_ids: tuple[str, ...]) -> None:
        if self._target is not None:
            await self._target.on_worker_lost(worker_id, call_ids)
