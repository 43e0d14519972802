"""SIP errors.

SipError                    base of every error raised by gateway.sip
  ProtocolError             a control-channel frame is malformed (carries the command id when known)
  WorkerUnavailableError    a command was sent to a worker that is not running (carries the worker id)
  GuardError                a media worker's SIP guard could not start, or died
"""

from __future__ import annotations

__all__ = ["GuardError", "ProtocolError", "SipError", "WorkerUnavailableError"]


class SipError(Exception):
    pass


class ProtocolError(SipError):
    def __init__(self, message: str, *, command_id: str = "") -> None:
        self.command_id = command_id
        super().__init__(message)


class WorkerUnavailableError(SipError):
    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id
        super().__init__(f"media worker {worker_id} is not running")


class GuardError(SipError):
    pass
