"""Helpline sip subsystem: pjsua2 media workers (one process each) and the pool that runs them.

The gateway process imports only this package's public names; pjsua2 itself is loaded by the worker
processes (`python -m gateway.sip.worker`), never by the gateway.
"""

from __future__ import annotations

from gateway.sip._codec import encode, parse_command, parse_event
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
    Headers,
    Hold,
    Incoming,
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
    Unbridge,
    Unhold,
)
from gateway.sip._supervisor import EventHandler, LostCallsHandler, WorkerPool, WorkerStatus
from gateway.sip.errors import ProtocolError, SipError, WorkerUnavailableError

__all__ = [
    "Answer",
    "Bridge",
    "CallState",
    "Command",
    "Dialing",
    "Disconnected",
    "Dtmf",
    "DtmfMethod",
    "ErrorEvent",
    "Event",
    "EventHandler",
    "Hangup",
    "Headers",
    "Hold",
    "Incoming",
    "Load",
    "LostCallsHandler",
    "MakeCall",
    "MediaEnded",
    "Ping",
    "Play",
    "Pong",
    "ProtocolError",
    "Ready",
    "RecordStart",
    "RecordStop",
    "Rejected",
    "Shutdown",
    "SipError",
    "State",
    "StopPlay",
    "Unbridge",
    "Unhold",
    "WorkerPool",
    "WorkerStatus",
    "WorkerUnavailableError",
    "encode",
    "parse_command",
    "parse_event",
]
