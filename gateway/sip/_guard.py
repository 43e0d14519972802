"""A media worker's SIP guard: a small process that owns the worker's advertised SIP address.

pjsua binds the same port on a private loopback address and advertises the guard's address in its Via and
Contact, so every request to the worker (initial, ACK, BYE, re-INVITE) and every answer to the worker's
own requests arrives here first. Each datagram is checked (`check_datagram`); a refused request is
answered (400, 413, 415, 488, 513) when it can be, anything else refused is dropped, and the rest is passed
to pjsua. New calls are paced as Kamailio paces them (503 beyond): a burst of INVITEs, even quickly
refused ones, would exhaust the 64 sockets of pjsua's select() ioqueue, which aborts the worker. pjsua's
own requests leave from its private address (Kamailio maps that address back to the worker's, see its
template).

pjsua answers a request to the address it came from when its top Via has `rport`, so the guard adds
`rport` to requests that lack it, remembers where each request came from under its Via branch, and sends
pjsua's answers on with the top Via as the sender wrote it. A separate process, not a thread in the
worker: the 2.10 wheel holds the GIL while pjsua polls, which would hold a guard thread up to 100 ms.

The guard is forked by its worker and ends when the worker does (a pipe from the worker reaches end of
file); a worker whose guard has died stops, and the gateway starts both again.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import logging
import os
import re
import secrets
import selectors
import signal
import socket
import time
from dataclasses import dataclass
from typing import NoReturn

from gateway.sip._sipcheck import CheckedMessage, Refused, check_datagram, refusal
from gateway.sip.errors import GuardError
from gateway.sip.kamailio._config import INVITES_PER_WORKER_SECOND

__all__ = ["Guard", "GuardProcess"]

logger = logging.getLogger("helpline.sip.guard")

_MAX_DATAGRAM = 65535
_RECEIVE_BUFFER = 4 * 1024 * 1024
_SENDER_SECONDS = 300.0
"""How long an answer from pjsua can still find its request's sender (a call may ring this long)."""
_MAX_SENDERS = 50_000
_REPORT_SECONDS = 10.0
_BIND_SECONDS = 0.5
_NEW_CALLS_PER_SECOND = float(INVITES_PER_WORKER_SECOND)
_NEW_CALLS_BURST = 10.0
"""With at most 15 call slots, 2 sockets per call and 2 more per call ended in the last 0.5 s, a burst of 10
at 7 a second keeps 2 x (15 + 10 + 3.5) = 57 of pjsua's 64 sockets at most in use."""
_FIRST_VIA = re.compile(rb"\r\n(?:Via|v)[ \t]*:[ \t]*([^\r\n,]*)", re.IGNORECASE)
_BRANCH = re.compile(rb";[ \t]*branch=([^;, \t\r\n]+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Sender:
    address: tuple[str, int]
    top_via: bytes
    expires: float


class Guard:
    """Relays between the world (on `sock`) and pjsua (at `inner`); call `serve` to run."""

    def __init__(self, sock: socket.socket, inner: tuple[str, int]) -> None:
        self._sock = sock
        self._inner = inner
        self._senders: dict[bytes, _Sender] = {}
        self._tag = secrets.token_hex(4)
        self._refused = 0
        self._next_report = 0.0
        self._call_tokens = _NEW_CALLS_BURST
        self._tokens_at = time.monotonic()
        self.passed = 0

    def serve(self, stop_fd: int) -> None:
        """Relay until `stop_fd` (the worker's pipe) is readable: end of file, the worker has gone."""
        with selectors.DefaultSelector() as selector:
            selector.register(self._sock, selectors.EVENT_READ)
            selector.register(stop_fd, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fd == stop_fd:
                        return
                    self._receive()

    def _receive(self) -> None:
        try:
            data, source = self._sock.recvfrom(_MAX_DATAGRAM)
        except (BlockingIOError, InterruptedError):
            return
        self.on_datagram(data, (str(source[0]), int(source[1])))

    def on_datagram(self, data: bytes, source: tuple[str, int]) -> None:
        # pjsua's answers come back here (rport); its requests to its own address (a worker calling
        # itself) are checked and passed like anyone's.
        if source == self._inner and data.startswith(b"SIP/2.0 "):
            self._from_worker(data)
            return
        try:
            message = check_datagram(data)
        except Refused as refused:
            self._refuse(data, source, refused)
            return
        retransmission = message.via.branch in self._senders
        if message.new_call and not retransmission and not self._take_call_token():
            self._refuse(data, source, Refused(503, "Media worker busy"))
            return
        if message.request:
            data = self._remember(data, message, source)
        self.passed += 1
        self._send(data, self._inner)

    def _take_call_token(self) -> bool:
        now = time.monotonic()
        earned = (now - self._tokens_at) * _NEW_CALLS_PER_SECOND
        self._call_tokens = min(_NEW_CALLS_BURST, self._call_tokens + earned)
        self._tokens_at = now
        if self._call_tokens < 1.0:
            return False
        self._call_tokens -= 1.0
        return True

    def _remember(self, data: bytes, message: CheckedMessage, source: tuple[str, int]) -> bytes:
        via = message.via
        top = data[via.start : via.end]
        address = source if via.rport else (source[0], via.port)
        now = time.monotonic()
        self._senders.pop(via.branch, None)
        self._senders[via.branch] = _Sender(address, top, now + _SENDER_SECONDS)
        self._forget(now)
        if via.rport:
            return data
        return data[: via.end] + b";rport" + data[via.end :]

    def _forget(self, now: float) -> None:
        while self._senders:
            branch, sender = next(iter(self._senders.items()))
            if sender.expires > now and len(self._senders) <= _MAX_SENDERS:
                return
            del self._senders[branch]

    def _from_worker(self, data: bytes) -> None:
        """pjsua answers a request that came through here: back to its sender, Via as it was."""
        via = _FIRST_VIA.search(data)
        branch = _BRANCH.search(via.group(1)) if via is not None else None
        sender = self._senders.get(branch.group(1)) if branch is not None else None
        if via is None or sender is None:
            logger.debug("answer from pjsua to an unknown request dropped")
            return
        restored = data[: via.start(1)] + sender.top_via + data[via.end(1) :]
        self._send(restored, sender.address)

    def _refuse(self, data: bytes, source: tuple[str, int], refused: Refused) -> None:
        answer = refusal(data, refused, to_tag=self._tag)
        if answer is not None:
            self._send(answer, source)
        # One line at once, then at most one every _REPORT_SECONDS: a flood must not flood the log.
        self._refused += 1
        now = time.monotonic()
        if now >= self._next_report:
            logger.warning(
                "refused %d SIP datagram(s); the last from %s:%d: %s",
                self._refused,
                source[0],
                source[1],
                refused,
            )
            self._refused, self._next_report = 0, now + _REPORT_SECONDS

    def _send(self, data: bytes, address: tuple[str, int]) -> None:
        try:
            self._sock.sendto(data, address)
        except OSError as exc:
            logger.warning("could not send %d bytes to %s:%d: %s", len(data), address[0], address[1], exc)


class GuardProcess:
    """The worker's side: forks the guard, tells whether it runs, stops it.

    Forked before pjsua starts (no pjsua thread exists yet), so it costs no interpreter start-up and shares
    the worker's pages; the guard closes every descriptor it does not need, so the gateway still sees the
    worker's pipes close when the worker dies.
    """

    def __init__(self, pid: int, stop_fd: int, port: int) -> None:
        self._pid = pid
        self._stop_fd = stop_fd
        self._exited = False
        self.port = port

    @classmethod
    def start(cls, host: str, port: int, inner_host: str) -> GuardProcess:
        sock = _bind_when_free(host, port)
        port = int(sock.getsockname()[1])
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(write_fd)
            _run_forked(sock, (inner_host, port), read_fd)
        os.close(read_fd)
        sock.close()
        return cls(pid, write_fd, port)

    @property
    def running(self) -> bool:
        if not self._exited:
            self._exited = os.waitpid(self._pid, os.WNOHANG) != (0, 0)
        return not self._exited

    def stop(self) -> None:
        os.close(self._stop_fd)  # end of file: the guard returns
        deadline = time.monotonic() + 2.0
        while self.running and time.monotonic() < deadline:
            time.sleep(0.01)
        if self.running:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._exited = True


def _run_forked(sock: socket.socket, inner: tuple[str, int], stop_fd: int) -> NoReturn:
    code = 1
    try:
        _detach({sock.fileno(), stop_fd, 2})
        gc.enable()  # the worker runs its collector by hand; here nothing else would
        Guard(sock, inner).serve(stop_fd)
        code = 0
    except BaseException:
        logger.exception("the SIP guard failed")
    finally:
        os._exit(code)  # never the worker's clean-up: it is still running


def _detach(keep: set[int]) -> None:
    """Stop being the worker: its signal handlers, stdin, stdout and other descriptors are not the guard's."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Ctrl-C reaches the whole process group: the worker stops on it and then closes the guard's pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    keep = keep | {0, 1}
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep:
            with contextlib.suppress(OSError):
                os.close(fd)


def _bind_when_free(host: str, port: int) -> socket.socket:
    """The guard's socket; a killed worker's guard may hold the port a few milliseconds longer."""
    deadline = time.monotonic() + _BIND_SECONDS
    while True:
        try:
            return bind(host, port)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or time.monotonic() >= deadline:
                raise GuardError(f"the SIP guard cannot listen on {host}:{port}: {exc}") from exc
        time.sleep(0.05)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RECEIVE_BUFFER)
    sock.bind((host, port))
    sock.setblocking(False)
    return sock
