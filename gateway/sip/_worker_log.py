"""A media worker's log, carried to the gateway's logging: the worker's side and the gateway's side.

The worker writes one line per record on stderr (`<levelno> <logger> <message>`); the gateway reads the
worker's stderr and logs each line again under the same `helpline.*` logger, so `helpline serve` prints
only its own log lines, filtered by its own `--log-level`. Anything else on that stderr (a faulthandler
trace, a C assertion from pjlib) is logged as a warning, never lost.

pjlib prints its console log on file descriptor 1 with C stdio. That descriptor is a pipe read by a
plain Python thread, which logs each line under `helpline.sip.pjlib` at DEBUG. A pjsua2 `LogWriter`
would call Python from pjlib's threads (the conference clock's too), which the 2.10 wheel, built
without thread support, cannot do safely; the pipe also carries what `libCreate` prints before any
writer could be installed.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import sys
import threading

__all__ = [
    "PJLIB_LOGGER",
    "capture_pjlib_console",
    "log_worker_line",
    "pjlib_log_args",
    "send_logs_to_gateway",
]

PJLIB_LOGGER = "helpline.sip.pjlib"

_LINE = re.compile(r"^(\d{1,2}) (helpline(?:\.[A-Za-z0-9_]+)*) (.*)$")
_IOLBF = 1  # glibc's line-buffered mode for setvbuf

_relay_logger = logging.getLogger("helpline.sip.worker")


# --- the worker's side ----------------------------------------------------------------------------


def send_logs_to_gateway(level: int = logging.INFO) -> None:
    """Log `helpline.*` records on stderr in the line format the gateway reads back."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine("%(levelno)d %(name)s %(message)s"))
    root = logging.getLogger("helpline")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    # pjlib's own level (`--pj-log-level`) decides how much of it there is; the gateway filters the rest.
    logging.getLogger(PJLIB_LOGGER).setLevel(logging.DEBUG)


def capture_pjlib_console() -> None:
    """Point descriptor 1 at a pipe whose lines are logged under `helpline.sip.pjlib`; call before pjsua."""
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 1)
    os.close(write_fd)
    _line_buffer_c_stdout()
    threading.Thread(target=_relay_pjlib, args=(read_fd,), name="pjlib-log", daemon=True).start()


def _line_buffer_c_stdout() -> None:
    # On a pipe, C stdio would hold pjlib's lines in a 4 KB buffer: late, and lost if pjlib aborts.
    libc = ctypes.CDLL(None)
    stdout = ctypes.c_void_p.in_dll(libc, "stdout")
    libc.setvbuf(stdout, None, _IOLBF, 0)


def _relay_pjlib(read_fd: int) -> None:
    """Runs on its own thread and never touches pjsua2 (os.read on a raw descriptor, then logging)."""
    pjlib = logging.getLogger(PJLIB_LOGGER)
    pending = b""
    while chunk := os.read(read_fd, 65536):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if text := line.decode(errors="replace").rstrip():
                pjlib.debug("%s", text)


class _OneLine(logging.Formatter):
    """A record's message and traceback on one line: the gateway reads the worker's log line by line."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", " | ")


# --- the gateway's side ---------------------------------------------------------------------------


def pjlib_log_args() -> tuple[str, ...]:
    """Worker options: pjlib logs every SIP message (level 4) when the gateway shows pjlib's DEBUG."""
    return ("--pj-log-level", "4") if logging.getLogger(PJLIB_LOGGER).isEnabledFor(logging.DEBUG) else ()


def log_worker_line(worker_id: int, line: bytes) -> None:
    """Log one line of a worker's stderr under its logger and level, or as a warning if it is not a record."""
    text = line.decode(errors="replace").rstrip()
    if not text:
        return
    record = _LINE.match(text)
    if record is None:
        _relay_logger.warning("media worker %d: %s", worker_id, text)
        return
    level, name, message = int(record[1]), record[2], record[3]
    target = logging.getLogger(name)
    if target.isEnabledFor(level):
        target.log(level, "worker %d: %s", worker_id, message)
