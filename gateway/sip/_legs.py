"""Call legs inside a media worker: the pjsua2 call, account and player subclasses, and a leg's media.

pjsua2 objects live and die on the worker's main thread. Call objects never outlive their call: the worker
drops a leg when its call disconnects, because pjsua reuses call ids and a late `Call` destructor would
hang up whatever call got the id next. Call and player callbacks hold only a call key and a listener.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, Protocol

from gateway.sip._pjsua import call_state, dtmf_method, media_is_usable, pj
from gateway.sip._protocol import CallState, DtmfMethod

__all__ = ["Leg", "LegListener", "WorkerAccount", "WorkerCall"]

_player_serials = itertools.count(1)


class LegListener(Protocol):
    def on_call_state(self, key: str, state: CallState, code: int, reason: str) -> None: ...

    def on_media_state(self, key: str) -> None: ...

    def on_dtmf(self, key: str, digit: str, method: DtmfMethod) -> None: ...

    def on_incoming_call(self, account: WorkerAccount, pj_call_id: int, message: str) -> None: ...

    def on_play_ended(self, key: str, serial: int) -> None:
        """Called on pjsua's conference clock thread: must only hand the event to the main thread."""
        ...


class WorkerCall(pj.Call):  # type: ignore[misc]
    def __init__(self, account: WorkerAccount, pj_call_id: int, key: str, listener: LegListener) -> None:
        super().__init__(account, pj_call_id)
        self.key = key
        self._listener = listener

    def onCallState(self, prm: Any) -> None:
        info = self.getInfo()
        state = call_state(info.state)
        if state is not None:
            self._listener.on_call_state(self.key, state, int(info.lastStatusCode), str(info.lastReason))

    def onCallMediaState(self, prm: Any) -> None:
        self._listener.on_media_state(self.key)

    def onDtmfDigit(self, prm: Any) -> None:
        self._listener.on_dtmf(self.key, str(prm.digit), dtmf_method(prm.method))


class WorkerAccount(pj.Account):  # type: ignore[misc]
    def __init__(self, listener: LegListener) -> None:
        super().__init__()
        self._listener = listener

    def onIncomingCall(self, prm: Any) -> None:
        self._listener.on_incoming_call(self, int(prm.callId), str(prm.rdata.wholeMsg))


class _Player(pj.AudioMediaPlayer):  # type: ignore[misc]
    def __init__(self, key: str, serial: int, on_ended: Callable[[str, int], None]) -> None:
        super().__init__()
        self._key = key
        self._serial = serial
        self._on_ended = on_ended

    def onEof2(self) -> None:
        self._on_ended(self._key, self._serial)


class Leg:
    """One call and the media attached to it: at most one prompt, one recorder, and bridged partners."""

    def __init__(self, call: WorkerCall, listener: LegListener) -> None:
        self.call = call
        self.key = call.key
        self.bridged: set[str] = set()
        self._listener = listener
        self._player: _Player | None = None
        self._player_serial = 0
        self._player_loops = False
        self._recorder: Any = None

    def audio(self) -> Any:
        """The call's conference port, or None while the call has no usable audio."""
        if not self.call.hasMedia():
            return None
        info = self.call.getInfo()  # keep it alive: the media entries point into it
        for index, media in enumerate(info.media):
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media_is_usable(media.status):
                return self.call.getAudioMedia(index)
        return None

    def play(self, file: str, *, loop: bool) -> None:
        self.stop_play()
        serial = next(_player_serials)
        player = _Player(self.key, serial, self._listener.on_play_ended)
        player.createPlayer(file, 0 if loop else pj.PJMEDIA_FILE_NO_LOOP)
        self._player, self._player_serial, self._player_loops = player, serial, loop
        self.connect_media()

    def finish_play(self, serial: int) -> bool:
        """The player `serial` reached its end: stop it unless it loops; True if a prompt just ended."""
        if self._player is None or self._player_serial != serial or self._player_loops:
            return False
        self.stop_play()
        return True

    def stop_play(self) -> None:
        player, self._player = self._player, None
        audio = self.audio()
        if player is not None and audio is not None:
            player.stopTransmit(audio)

    def record_start(self, path: str) -> None:
        self.record_stop()
        recorder = pj.AudioMediaRecorder()
        recorder.createRecorder(path)
        self._recorder = recorder
        self.connect_media()

    def record_stop(self) -> None:
        recorder, self._recorder = self._recorder, None
        audio = self.audio()
        if recorder is not None and audio is not None:
            audio.stopTransmit(recorder)

    def connect_media(self) -> None:
        """(Re)connect the prompt and the recorder; a no-op until the call has audio."""
        audio = self.audio()
        if audio is None:
            return
        if self._player is not None:
            self._player.startTransmit(audio)
        if self._recorder is not None:
            audio.startTransmit(self._recorder)

    def release(self) -> None:
        """Drop the media objects; called on the main thread when the call has ended."""
        self._player = None
        self._recorder = None
        self.bridged.clear()
