"""A scripted phone for the voice tests: one pjsua2 endpoint in its own process.

    python phone.py --port 5090 --play agent.wav --record-dir DIR --answer 1001 --ring 1002 --busy 1003
                    [--registrar 127.0.0.1:5060 --register 1001:password ...] [--caller-id +15550111]
                    [--pick-up auto|manual]

Calls to `sip:<user>@127.0.0.1:<port>` are answered after a short ring (`--answer`), left ringing
(`--ring`) or refused with 486 (`--busy`), by the user part. With `--pick-up manual` the `--answer` calls
ring until an `answer` line arrives on stdin, so a test can look at the ringing for as long as it needs.
With `--register user:password` the phone registers that user with `--registrar` (digest auth) first. A
connected call plays `--play` in a loop and records what the phone hears to `DIR/<user>-<n>.wav`.
One line per event goes to stdout:
`ready`, `registered <user> <code>`, `incoming <user> <n>`, `calling out <n>`, `confirmed <user> <n>`,
`disconnected <user> <n> <code>`. Lines on stdin place calls, as `--caller-id`, recorded as `out-<n>.wav`:
`call <uri>`, `dtmf <n> <digits>` (RFC 4733), `hangup <n>` (incoming call n too); and `answer [<n>]` picks
up incoming call n (default: every `--answer` call ringing now). `mark <label>` starts a new recording on
every connected call, `DIR/<user>-<n>-<label>.wav` (what was heard until then stays in the file before),
and says `marked <label>`.
The phone runs until its stdin closes. pjsua2 is polled from the main thread (the 2.10 wheel has no
thread support).
"""

from __future__ import annotations

import argparse
import itertools
import os
import select
import sys
import time
from pathlib import Path
from typing import Any

import pjsua2 as pj  # type: ignore[import-untyped]

ANSWER_AFTER = 0.4  # seconds of ringing before an auto-answer
WHEN_TOLD = float("inf")  # `--pick-up manual`: rings until an `answer` command


class Phone:
    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.calls: dict[int, PhoneCall] = {}
        self.serials = itertools.count(1)
        self.pending_answers: list[tuple[float, int]] = []
        self.outgoing: dict[int, PhoneCall] = {}  # by serial
        self.account: Any = None

    def behaviour(self, user: str) -> str:
        for kind in ("answer", "ring", "busy"):
            if user in getattr(self.options, kind):
                return kind
        return "busy"

    def incoming(self, account: Any, call_id: int, message: str) -> None:
        user = message.split(" ", 2)[1].removeprefix("sip:").split("@", 1)[0]
        call = PhoneCall(self, account, call_id, user, next(self.serials))
        self.calls[call_id] = call
        say(f"incoming {user} {call.serial}")
        kind = self.behaviour(user)
        call.respond(486 if kind == "busy" else 180)
        if kind == "answer":
            manual = self.options.pick_up == "manual"
            at = WHEN_TOLD if manual else time.monotonic() + ANSWER_AFTER
            self.pending_answers.append((at, call_id))

    def command(self, line: str) -> None:
        verb, _, rest = line.strip().partition(" ")
        if verb == "call":
            call = PhoneCall(self, self.account, pj.PJSUA_INVALID_ID, "out", next(self.serials))
            self.outgoing[call.serial] = call
            say(f"calling out {call.serial}")
            call.makeCall(rest.strip(), pj.CallOpParam(True))
            self.calls[call.getId()] = call
        elif verb in ("dtmf", "hangup"):
            serial, _, digits = rest.partition(" ")
            call = self.outgoing.get(int(serial)) or self.answered(int(serial))
            if call is not None and verb == "dtmf":
                call.dialDtmf(digits.strip())
            elif call is not None:
                call.hangup(pj.CallOpParam(True))
        elif verb == "answer":
            self.told_to_answer(int(rest) if rest.strip() else None)
        elif verb == "mark":
            for call in list(self.calls.values()):
                call.record_anew(rest.strip())
            say(f"marked {rest.strip()}")

    def answered(self, serial: int) -> PhoneCall | None:
        return next((call for call in self.calls.values() if call.serial == serial), None)

    def told_to_answer(self, serial: int | None) -> None:
        """Make the ringing `--answer` calls (or the one with this serial) due for answer now."""
        chosen = {c for c, call in self.calls.items() if serial is None or call.serial == serial}
        self.pending_answers = [(0.0 if c in chosen else at, c) for at, c in self.pending_answers]

    def answer_due(self) -> None:
        now = time.monotonic()
        due = [c for at, c in self.pending_answers if at <= now]
        self.pending_answers = [(at, c) for at, c in self.pending_answers if at > now]
        for call_id in due:
            call = self.calls.get(call_id)
            if call is not None:
                call.respond(200)


def answer_param(code: int) -> Any:
    prm = pj.CallOpParam(True)
    prm.statusCode = code
    return prm


class PhoneCall(pj.Call):  # type: ignore[misc]
    def __init__(self, phone: Phone, account: Any, call_id: int, user: str, serial: int) -> None:
        super().__init__(account, call_id)
        self.phone, self.user, self.serial = phone, user, serial
        self.player: Any = None
        self.recorder: Any = None
        self.audio: Any = None

    def respond(self, code: int) -> None:
        self.answer(answer_param(code))

    def onCallState(self, prm: Any) -> None:
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            say(f"confirmed {self.user} {self.serial}")
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            say(f"disconnected {self.user} {self.serial} {info.lastStatusCode}")
            self.player = self.recorder = self.audio = None
            self.phone.calls.pop(info.id, None)
            self.phone.pending_answers = [(at, c) for at, c in self.phone.pending_answers if c != info.id]
            self.phone.outgoing.pop(self.serial, None)

    def onCallMediaState(self, prm: Any) -> None:
        info = self.getInfo()
        for index, media in enumerate(info.media):
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                self.connect(self.getAudioMedia(index))

    def connect(self, audio: Any) -> None:
        if self.player is None:
            self.player = pj.AudioMediaPlayer()
            self.player.createPlayer(self.phone.options.play, 0)
            path = Path(self.phone.options.record_dir) / f"{self.user}-{self.serial}.wav"
            self.recorder = pj.AudioMediaRecorder()
            self.recorder.createRecorder(str(path))
        self.player.startTransmit(audio)
        audio.startTransmit(self.recorder)
        self.audio = audio

    def record_anew(self, label: str) -> None:
        if self.audio is None:
            return
        recorder = pj.AudioMediaRecorder()
        recorder.createRecorder(
            str(Path(self.phone.options.record_dir) / f"{self.user}-{self.serial}-{label}.wav")
        )
        self.audio.startTransmit(recorder)
        if self.recorder is not None:
            self.audio.stopTransmit(self.recorder)
        self.recorder = recorder  # the previous one is destroyed here, which closes its file


class PhoneAccount(pj.Account):  # type: ignore[misc]
    def __init__(self, phone: Phone) -> None:
        super().__init__()
        self.phone = phone

    def onIncomingCall(self, prm: Any) -> None:
        self.phone.incoming(self, int(prm.callId), str(prm.rdata.wholeMsg))


class RegisteredAccount(PhoneAccount):
    def __init__(self, phone: Phone, user: str) -> None:
        super().__init__(phone)
        self.user = user

    def onRegState(self, prm: Any) -> None:
        say(f"registered {self.user} {prm.code}")


def register(phone: Phone, options: argparse.Namespace, user: str, password: str) -> Any:
    account = RegisteredAccount(phone, user)
    config = pj.AccountConfig()
    config.idUri = f"sip:{user}@{options.registrar}"
    config.regConfig.registrarUri = f"sip:{options.registrar}"
    config.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", user, 0, password))
    config.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
    # RTP on ports the OS picks, as the gateway's workers do: with pjsua's default (4000 and up) every
    # phone of both test processes crowds onto the same few ports, each taken again as soon as a call
    # of another test lets it go, while that call's peer may still be sending to it
    config.mediaConfig.transportConfig.port = 0
    account.create(config)
    return account


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--play", required=True)
    parser.add_argument("--record-dir", required=True)
    for kind in ("answer", "ring", "busy", "register"):
        parser.add_argument(f"--{kind}", action="append", default=[])
    parser.add_argument("--registrar", default="")
    parser.add_argument("--caller-id", default="phone")
    parser.add_argument("--pick-up", choices=("auto", "manual"), default="auto")
    options = parser.parse_args()
    endpoint = pj.Endpoint()
    endpoint.libCreate()
    config = pj.EpConfig()
    config.uaConfig.threadCnt = 0
    config.uaConfig.mainThreadOnly = True
    config.medConfig.threadCnt = 0
    config.logConfig.level = config.logConfig.consoleLevel = 0
    endpoint.libInit(config)
    endpoint.audDevManager().setNullDev()
    transport = pj.TransportConfig()
    transport.port, transport.boundAddress = options.port, "127.0.0.1"
    endpoint.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
    endpoint.libStart()
    phone = Phone(options)
    account = PhoneAccount(phone)
    account_config = pj.AccountConfig()
    account_config.idUri = f"sip:{options.caller_id}@127.0.0.1:{options.port}"
    account_config.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
    account_config.mediaConfig.transportConfig.port = 0  # see `register`
    account.create(account_config, True)
    phone.account = account
    registered = [register(phone, options, *entry.split(":", 1)) for entry in options.register]
    say("ready")
    commands = Commands()
    try:
        while commands.read():
            for line in commands.take():
                phone.command(line)
            endpoint.libHandleEvents(20)
            phone.answer_due()
        endpoint.hangupAllCalls()
        for _ in range(25):
            endpoint.libHandleEvents(20)
    finally:
        phone.calls.clear()
        phone.outgoing.clear()
        for extra in registered:
            extra.shutdown()
        registered.clear()
        account.shutdown()
        del account
        phone.account = None
        endpoint.libDestroy()
    return 0


class Commands:
    """Lines from stdin, read without blocking; `read()` is False once stdin is closed."""

    def __init__(self) -> None:
        self.buffer = b""

    def read(self) -> bool:
        readable, _, _ = select.select([sys.stdin], [], [], 0)
        if not readable:
            return True
        data = os.read(sys.stdin.fileno(), 4096)
        self.buffer += data
        return bool(data)

    def take(self) -> list[str]:
        *lines, self.buffer = self.buffer.split(b"\n")
        return [line.decode() for line in lines if line.strip()]


if __name__ == "__main__":
    sys.exit(main())
