"""Call legs inside a media worker: the pjsua2 call and account subclasses, and a leg's media.

pjsua2 objects live and die on the worker's main thread. Call objects never outlive their call: the worker
drops a leg when its call disconnects, because pjsua reuses call ids and a late `Call` destructor would
hang up whatever call got the id next. Call callbacks hold only a call key and a listener.

Players and recorders are plain pjsua2 objects, never subclasses: pjsua calls a player's end-of-file hook
on its conference clock thread, and a Python override there would run Python on a thread that the 2.10
wheel (built without thread support) cannot run it on. The end of a prompt is instead computed from the
WAV file's length when the prompt starts playing, and noticed by the main polling loop (`prompt_ended`).

A stopped prompt's player is disconnected at once but destroyed only later (`Graveyard`): since pjproject
2.14 the conference bridge applies a disconnection on its clock thread, which may still read the player
meanwhile, and a player destroyed at that moment crashed 2.15 workers under load (a segfault outside
Python, at about the prompt's end).
"""

from __future__ import annotations

import struct
import time
from collections import deque
from typing import Any, Protocol

from gateway.sip._pjsua import PjError, call_state, dtmf_method, media_is_usable, pj
from gateway.sip._protocol import CallState, DtmfMethod

__all__ = ["Graveyard", "Leg", "LegListener", "WorkerAccount", "WorkerCall", "wav_byte_rate"]

_WAV_HEAD_BYTES = 4096
_GRAVE_SECONDS = 0.5
"""How long a disconnected player is kept before it is destroyed: many conference clock ticks (20 ms)."""


class Graveyard:
    """pjsua2 media objects kept alive for a while after they were disconnected; freed on the main thread."""

    def __init__(self) -> None:
        self._graves: deque[tuple[float, Any]] = deque()

    def bury(self, media: Any) -> None:
        self._graves.append((time.monotonic() + _GRAVE_SECONDS, media))

    def sweep(self, now: float) -> None:
        while self._graves and self._graves[0][0] <= now:
            self._graves.popleft()  # the last reference: pjsua destroys the object here, on this thread

    def clear(self) -> None:
        self._graves.clear()

    def __bool__(self) -> bool:
        return bool(self._graves)


class LegListener(Protocol):
    def on_call_state(self, key: str, state: CallState, code: int, reason: str) -> None: ...

    def on_media_state(self, key: str) -> None: ...

    def on_dtmf(self, key: str, digit: str, method: DtmfMethod) -> None: ...

    def on_incoming_call(self, account: WorkerAccount, pj_call_id: int, message: str) -> None: ...


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


def wav_byte_rate(path: str) -> int:
    """Bytes of audio data per second of a WAV file, from its `fmt ` chunk; ValueError if there is none."""
    with open(path, "rb") as file:
        head = file.read(_WAV_HEAD_BYTES)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a RIFF/WAVE file")
    offset = 12
    while offset + 8 <= len(head):
        chunk, size = head[offset : offset + 4], int.from_bytes(head[offset + 4 : offset + 8], "little")
        if chunk == b"fmt " and size >= 16 and offset + 24 <= len(head):
            _, channels, rate, byte_rate, _, bits = struct.unpack_from("<HHIIHH", head, offset + 8)
            byte_rate = byte_rate or rate * channels * max(bits, 8) // 8
            if byte_rate <= 0:
                break
            return int(byte_rate)
        offset += 8 + size + (size & 1)
    raise ValueError(f"{path}: no usable WAV format chunk")


class Leg:
    """One call and the media attached to it: at most one prompt, one recorder, one listener (a second
    recorder whose file a speech recogniser reads as it grows) and bridged partners."""

    def __init__(self, call: WorkerCall, graveyard: Graveyard) -> None:
        self.call = call
        self._graveyard = graveyard
        self.key = call.key
        self.bridged: set[str] = set()
        self._player: Any = None
        self._prompt_seconds: float | None = None
        """How long the prompt plays; None for a looping prompt (it has no end)."""
        self._prompt_deadline: float | None = None
        """When the prompt ends (monotonic clock); set once the prompt is connected to the call's audio."""
        self._recorder: Any = None
        self._listener: Any = None

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
        player = pj.AudioMediaPlayer()
        player.createPlayer(file, 0 if loop else pj.PJMEDIA_FILE_NO_LOOP)
        seconds = None if loop else int(player.getInfo().sizeBytes) / wav_byte_rate(file)
        self._player, self._prompt_seconds, self._prompt_deadline = player, seconds, None
        self.connect_media()

    def prompt_ended(self, now: float) -> bool:
        """True once, when a prompt that does not loop has played to its end; the player is then stopped."""
        if self._prompt_deadline is None or now < self._prompt_deadline:
            return False
        self.stop_play()
        return True

    def stop_play(self) -> None:
        """Disconnect the prompt from the call's audio; its player is destroyed later (`Graveyard`)."""
        player, self._player = self._player, None
        self._prompt_seconds = self._prompt_deadline = None
        if player is not None:
            try:
                audio = self.audio()
                if audio is not None:
                    player.stopTransmit(audio)
            except PjError:
                pass  # the call's media is already gone, and the connection with it
            self._graveyard.bury(player)

    def record_start(self, path: str) -> None:
        self.record_stop()
        recorder = pj.AudioMediaRecorder()
        recorder.createRecorder(path)
        self._recorder = recorder
        self.connect_media()

    def record_stop(self) -> None:
        """Disconnect the recorder from the call's audio, then destroy it (which closes the file)."""
        recorder, self._recorder = self._recorder, None
        self._unhook(recorder)
        # `recorder` held the last reference: pjsua closes the file and destroys it on return.

    def listen_start(self, path: str) -> None:
        self.listen_stop()
        listener = pj.AudioMediaRecorder()
        listener.createRecorder(path)
        self._listener = listener
        self.connect_media()

    def listen_stop(self) -> None:
        listener, self._listener = self._listener, None
        self._unhook(listener)

    def _unhook(self, recorder: Any) -> None:
        if recorder is None:
            return
        try:
            audio = self.audio()
            if audio is not None:
                audio.stopTransmit(recorder)
        except PjError:
            pass  # the call's media is already gone, and the connection with it

    def connect_media(self) -> None:
        """(Re)connect the prompt and the recorder; a no-op until the call has audio."""
        audio = self.audio()
        if audio is None:
            return
        if self._player is not None:
            self._player.startTransmit(audio)
            if self._prompt_deadline is None and self._prompt_seconds is not None:
                # pjsua's conference bridge reads a player only while it transmits somewhere, so the
                # prompt starts playing now.
                self._prompt_deadline = time.monotonic() + self._prompt_seconds
        for recorder in (self._recorder, self._listener):
            if recorder is not None:
                audio.startTransmit(recorder)

    def release(self) -> None:
        """Stop the call's prompt and recording and destroy them; on the main thread, as the call ends."""
        self.stop_play()
        self.record_stop()
        self.listen_stop()
        self.bridged.clear()
