"""A media worker: one pjsua2 endpoint in its own process, driven by the gateway over the control channel.

Everything that touches pjsua2 runs on the main thread, which polls the library (`threadCnt=0`,
`mainThreadOnly`), so both pjsua2 wheels behave the same: the 2.10 wheel has no thread support at all.
The worker measures its call limit at start-up and refuses calls beyond it with 503 + Retry-After.

No Python runs on any other thread that pjsua knows of: players have no Python hooks (the end of a prompt is
timed on the main thread, see `Leg.prompt_ended`), and the garbage collector runs only from the main loop,
so no pjsua2 object can be freed by the control reader thread.
"""

from __future__ import annotations

import faulthandler
import gc
import itertools
import logging
import queue
import secrets
import signal
import time
from collections.abc import Sequence
from typing import Any

from gateway.sip._channel import ControlChannel
from gateway.sip._codec import parse_command
from gateway.sip._endpoint import account_config, endpoint_config, message_headers, transport_config
from gateway.sip._guard import GuardProcess
from gateway.sip._legs import Graveyard, Leg, WorkerAccount, WorkerCall
from gateway.sip._options import WorkerOptions, parse_args
from gateway.sip._pjsua import PjError, call_op, describe, library_version, max_call_slots, pj
from gateway.sip._protocol import (
    Answer,
    Bridge,
    CallState,
    Command,
    Dialing,
    Disconnected,
    Dtmf,
    DtmfMethod,
    ErrorEvent,
    Event,
    Hangup,
    Hold,
    Incoming,
    ListenStart,
    ListenStop,
    Load,
    MakeCall,
    MediaEnded,
    Ping,
    Play,
    Pong,
    Ready,
    RecordStart,
    RecordStop,
    Rejected,
    Shutdown,
    State,
    StopPlay,
    StopTransmit,
    Transmit,
    Unbridge,
    Unhold,
)
from gateway.sip._worker_log import capture_pjlib_console, send_logs_to_gateway
from gateway.sip.errors import GuardError, ProtocolError

__all__ = ["MediaWorker", "main"]

logger = logging.getLogger("helpline.sip.worker")

_DRAIN_SECONDS = 3.0


class _CommandFailed(Exception):
    pass


class MediaWorker:
    """Owns the endpoint, the account and the legs; implements `LegListener` for their callbacks."""

    def __init__(self, options: WorkerOptions, channel: ControlChannel) -> None:
        self._options = options
        self._channel = channel
        self._boot = secrets.token_hex(3)
        self._serials = itertools.count(1)
        self._legs: dict[str, Leg] = {}
        self._refusing: dict[str, WorkerCall] = {}
        self._links: set[tuple[str, str]] = set()
        """One-way audio links (source leg, sink leg) made by `Transmit`, kept while both legs last."""
        self._graveyard = Graveyard()
        self._held_events: list[Event] | None = None
        self._stopping = False
        self._limit = 0
        self._endpoint: Any = None
        self._account: WorkerAccount | None = None
        self._guard: GuardProcess | None = None
        self._guard_died = False

    # --- life cycle -------------------------------------------------------------------------------

    def run(self) -> int:
        """Serve until told to stop; 0 on a clean stop, 1 if the endpoint could not start."""
        gc.disable()  # collected in `_tick` instead, on this thread (see `_collect_garbage`)
        try:
            return self._serve()
        finally:
            gc.enable()

    def _serve(self) -> int:
        try:
            self._start()
        except (PjError, GuardError) as exc:
            logger.error(
                "media worker cannot start on %s:%d: %s",
                self._options.host,
                self._options.port,
                describe(exc),
            )
            self._destroy()
            return 1
        try:
            while not self._stopping:
                self._tick()
            self._drain()
        finally:
            self._destroy()
        return 1 if self._guard_died else 0

    def stop(self) -> None:
        self._stopping = True

    def _start(self) -> None:
        port = self._options.port
        if self._options.private_host:
            # Forked before pjsua starts any thread of its own.
            self._guard = GuardProcess.start(self._options.host, port, self._options.private_host)
            port = self._guard.port
        self._endpoint = pj.Endpoint()
        self._endpoint.libCreate()
        self._endpoint.libInit(endpoint_config(self._options))
        self._endpoint.audDevManager().setNullDev()
        transport_id = self._endpoint.transportCreate(
            pj.PJSIP_TRANSPORT_UDP, transport_config(self._options, port)
        )
        self._endpoint.libStart()
        self._limit = self._measure_limit()
        host, port = self._local_address(transport_id)
        self._account = WorkerAccount(self)
        self._account.create(account_config(self._options, host, port), True)
        self._channel.start_reading(self._register_thread)
        self._emit(Ready(limit=self._limit, host=host, port=port, version=library_version(), boot=self._boot))
        self._emit(Load(active=0, limit=self._limit))

    def _measure_limit(self) -> int:
        slots = max_call_slots()
        if slots < 2:
            raise RuntimeError(f"pjsua2 has {slots} call slot(s); a worker needs at least 2")
        # One slot stays free so that a call beyond the limit can still be answered with 503: when pjsua
        # has no slot left it replies 486 itself, before the application is asked.
        return slots - 1

    def _local_address(self, transport_id: int) -> tuple[str, int]:
        host, _, port = str(self._endpoint.transportGetInfo(transport_id).localName).rpartition(":")
        return host, int(port)

    def _register_thread(self) -> None:
        self._endpoint.libRegisterThread("control-reader")

    def _tick(self) -> None:
        busy = self._legs or self._refusing
        self._endpoint.libHandleEvents(self._options.poll_ms if busy else self._options.idle_poll_ms)
        if self._legs:
            self._end_prompts()
        if self._graveyard:
            self._graveyard.sweep(time.monotonic())
        if not self._channel.frames.empty():
            self._read_frames()
        self._collect_garbage()
        if self._guard is not None and not self._guard.running:
            logger.error("the SIP guard has died: stopping (the gateway starts the worker again)")
            self._guard_died = self._stopping = True

    def _end_prompts(self) -> None:
        now = time.monotonic()
        for leg in list(self._legs.values()):
            if leg.prompt_ended(now):
                self._emit(MediaEnded(call_id=leg.key))

    def _collect_garbage(self) -> None:
        """What the automatic collector would do, but on the main thread only.

        Left automatic, a collection runs on whichever thread happens to allocate, and a pjsua2 object in
        a reference cycle would then be freed on the control reader thread.
        """
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation] > 0:
                gc.collect(generation)
                return

    def _drain(self) -> None:
        for leg in list(self._legs.values()):
            self._try_hangup(leg.call)
        deadline = time.monotonic() + _DRAIN_SECONDS
        while (self._legs or self._refusing) and time.monotonic() < deadline:
            self._endpoint.libHandleEvents(self._options.poll_ms)

    def _destroy(self) -> None:
        for leg in self._legs.values():
            leg.release()
        self._legs.clear()
        self._links.clear()
        self._refusing.clear()
        self._graveyard.clear()
        if self._account is not None:
            self._account.shutdown()
            self._account = None
        if self._endpoint is not None:
            self._endpoint.libDestroy()
            self._endpoint = None
        if self._guard is not None:
            self._guard.stop()

    # --- control channel --------------------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        if self._held_events is not None:
            self._held_events.append(event)
            return
        self._channel.send(event)
        if self._channel.closed:
            self._stopping = True

    def _emit_load(self) -> None:
        self._emit(Load(active=len(self._legs), limit=self._limit))

    def _read_frames(self) -> None:
        while True:
            try:
                frame = self._channel.frames.get_nowait()
            except queue.Empty:
                return
            if frame is None:
                logger.info("control channel closed: stopping")
                self._stopping = True
                return
            self._on_frame(frame)

    def _on_frame(self, frame: bytes) -> None:
        try:
            command = parse_command(frame)
        except ProtocolError as exc:
            logger.warning("rejected frame: %s", exc)
            self._emit(ErrorEvent(command_id=exc.command_id, message=str(exc)))
            return
        try:
            self._execute(command)
        except _CommandFailed as exc:
            self._emit(ErrorEvent(command_id=command.command_id, message=str(exc)))
        except PjError as exc:
            self._emit(ErrorEvent(command_id=command.command_id, message=f"{command.TYPE}: {describe(exc)}"))
        except Exception as exc:
            logger.exception("command %s failed", command)
            self._emit(ErrorEvent(command_id=command.command_id, message=f"{command.TYPE}: {exc!r}"))

    def _execute(self, command: Command) -> None:
        match command:
            case Answer():
                self._leg(command.call_id).call.answer(call_op(code=200))
            case Hangup():
                self._leg(command.call_id).call.hangup(call_op(code=command.code, reason=command.reason))
            case Play():
                self._leg(command.call_id).play(command.file, loop=command.loop)
            case StopPlay():
                self._leg(command.call_id).stop_play()
            case RecordStart():
                self._leg(command.call_id).record_start(command.path)
            case RecordStop():
                self._leg(command.call_id).record_stop()
            case ListenStart():
                self._leg(command.call_id).listen_start(command.path)
            case ListenStop():
                self._leg(command.call_id).listen_stop()
            case Bridge():
                self._bridge(self._leg(command.call_a), self._leg(command.call_b))
            case Unbridge():
                self._unbridge(self._leg(command.call_a), self._leg(command.call_b))
            case Transmit():
                self._transmit(self._leg(command.source), self._leg(command.sink))
            case StopTransmit():
                self._stop_transmit(self._leg(command.source), self._leg(command.sink))
            case MakeCall():
                self._make_call(command)
            case Hold():
                self._leg(command.call_id).call.setHold(call_op())
            case Unhold():
                self._unhold(self._leg(command.call_id))
            case Ping():
                self._emit(Pong(command_id=command.command_id))
            case Shutdown():
                self._stopping = True

    def _leg(self, call_id: str) -> Leg:
        leg = self._legs.get(call_id)
        if leg is None:
            raise _CommandFailed(f"unknown call {call_id!r} (ended, or never existed)")
        return leg

    # --- commands ---------------------------------------------------------------------------------

    def _make_call(self, command: MakeCall) -> None:
        if self._account is None or self._stopping or len(self._legs) >= self._limit:
            raise _CommandFailed(f"make_call: worker is full ({len(self._legs)}/{self._limit} calls)")
        call = WorkerCall(self._account, pj.PJSUA_INVALID_ID, self._next_key(), self)
        leg = Leg(call, self._graveyard)
        # Known before `makeCall`: pjsua may report the call's state, even its end, from inside it. Those
        # events are held back until the gateway has learnt the call id from `dialing`.
        self._legs[leg.key] = leg
        self._held_events = []
        try:
            call.makeCall(command.uri, call_op(headers=command.headers))
        except BaseException:
            self._held_events = None
            if self._legs.pop(leg.key, None) is not None:
                leg.release()
            raise
        held, self._held_events = self._held_events, None
        self._emit(Dialing(command_id=command.command_id, call_id=leg.key, uri=command.uri))
        for event in held:
            self._emit(event)
        self._emit_load()

    def _bridge(self, leg_a: Leg, leg_b: Leg) -> None:
        if leg_a is leg_b:
            raise _CommandFailed("bridge: a call cannot be bridged to itself")
        leg_a.bridged.add(leg_b.key)
        leg_b.bridged.add(leg_a.key)
        self._connect_bridges(leg_a)

    def _unbridge(self, leg_a: Leg, leg_b: Leg) -> None:
        leg_a.bridged.discard(leg_b.key)
        leg_b.bridged.discard(leg_a.key)
        audio_a, audio_b = leg_a.audio(), leg_b.audio()
        if audio_a is not None and audio_b is not None:
            # a one-way link (`Transmit`) between the two outlives the bridge
            if (leg_a.key, leg_b.key) not in self._links:
                audio_a.stopTransmit(audio_b)
            if (leg_b.key, leg_a.key) not in self._links:
                audio_b.stopTransmit(audio_a)

    def _transmit(self, source: Leg, sink: Leg) -> None:
        if source is sink:
            raise _CommandFailed("transmit: a call cannot transmit to itself")
        self._links.add((source.key, sink.key))
        self._connect_links(source)

    def _stop_transmit(self, source: Leg, sink: Leg) -> None:
        self._links.discard((source.key, sink.key))
        if sink.key in source.bridged:
            return  # a bridge carries this direction too: it stays
        audio_source, audio_sink = source.audio(), sink.audio()
        if audio_source is not None and audio_sink is not None:
            audio_source.stopTransmit(audio_sink)

    def _connect_links(self, leg: Leg) -> None:
        """(Re)make the one-way links to and from `leg` whose both ends have audio."""
        for source_key, sink_key in self._links:
            if leg.key not in (source_key, sink_key):
                continue
            source, sink = self._legs.get(source_key), self._legs.get(sink_key)
            audio_source = source.audio() if source is not None else None
            audio_sink = sink.audio() if sink is not None else None
            if audio_source is not None and audio_sink is not None:
                audio_source.startTransmit(audio_sink)

    def _connect_bridges(self, leg: Leg) -> None:
        audio = leg.audio()
        for key in leg.bridged:
            partner = self._legs.get(key)
            partner_audio = partner.audio() if partner is not None else None
            if audio is not None and partner_audio is not None:
                audio.startTransmit(partner_audio)
                partner_audio.startTransmit(audio)

    def _unhold(self, leg: Leg) -> None:
        prm = call_op()
        prm.opt.flag = pj.PJSUA_CALL_UNHOLD
        leg.call.reinvite(prm)

    def _try_hangup(self, call: WorkerCall) -> None:
        try:
            call.hangup(call_op())
        except PjError as exc:
            logger.warning("hangup of %s failed: %s", call.key, describe(exc))

    def _next_key(self) -> str:
        return f"{self._boot}-{next(self._serials)}"

    # --- LegListener: pjsua2 callbacks ------------------------------------------------------------

    def on_incoming_call(self, account: WorkerAccount, pj_call_id: int, message: str) -> None:
        call = WorkerCall(account, pj_call_id, self._next_key(), self)
        info = call.getInfo()
        if self._stopping or len(self._legs) >= self._limit:
            self._refuse(call, str(info.callIdString))
            return
        self._legs[call.key] = Leg(call, self._graveyard)
        self._emit(
            Incoming(
                call_id=call.key,
                from_uri=str(info.remoteUri),
                to_uri=str(info.localUri),
                sip_call_id=str(info.callIdString),
                headers=message_headers(message),
            )
        )
        self._emit_load()

    def _refuse(self, call: WorkerCall, sip_call_id: str) -> None:
        reason = "Service Unavailable"
        self._refusing[call.key] = call
        retry_after = (("Retry-After", str(self._options.retry_after)),)
        try:
            # answer(), not hangup(): while the incoming call's media is still being set up, pjsua
            # defers a hangup and then sends it without our headers, losing Retry-After.
            call.answer(call_op(code=503, reason=reason, headers=retry_after))
        except PjError as exc:
            logger.warning("could not refuse %s: %s", sip_call_id, describe(exc))
        self._emit(Rejected(sip_call_id=sip_call_id, code=503, reason=reason))

    def on_call_state(self, key: str, state: CallState, code: int, reason: str) -> None:
        if key in self._refusing:
            if state is CallState.DISCONNECTED:
                del self._refusing[key]
            return
        leg = self._legs.get(key)
        if leg is None:
            return
        if state is not CallState.DISCONNECTED:
            self._emit(State(call_id=key, state=state))
            return
        self._drop(leg)
        self._emit(Disconnected(call_id=key, code=code, reason=reason))
        self._emit_load()

    def _drop(self, leg: Leg) -> None:
        del self._legs[leg.key]
        self._links = {link for link in self._links if leg.key not in link}
        for key in leg.bridged:
            partner = self._legs.get(key)
            if partner is not None:
                partner.bridged.discard(leg.key)
        leg.release()

    def on_media_state(self, key: str) -> None:
        leg = self._legs.get(key)
        if leg is not None:
            leg.connect_media()
            self._connect_bridges(leg)
            self._connect_links(leg)

    def on_dtmf(self, key: str, digit: str, method: DtmfMethod) -> None:
        if key in self._legs:
            self._emit(Dtmf(call_id=key, digit=digit, method=method))


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    send_logs_to_gateway()
    channel = ControlChannel.from_stdio()
    capture_pjlib_console()
    # A crash inside pjsua leaves the Python stack of every thread in the worker's log (stderr).
    faulthandler.enable()
    worker = MediaWorker(options, channel)
    signal.signal(signal.SIGTERM, lambda _signum, _frame: worker.stop())
    signal.signal(signal.SIGINT, lambda _signum, _frame: worker.stop())
    return worker.run()
