"""The routing core (`gateway.acd`) served: its asyncio runner, event log, read models, sockets and REST.

Voice, chat and REST hand work to the core through `RoutingPort` (implemented by `AcdServer`); the CRM side
plugs in as a `CustomerDesk`.
"""

from __future__ import annotations

from gateway.acd_server._server import AcdServer, SocketPush
from gateway.acd_server._waiting import WaitingWork
from gateway.acd_server.port import (
    CustomerDesk,
    EventListener,
    EventWatcher,
    RoutingPort,
    WaitEstimate,
    WorkCompleter,
    WorkDone,
)

__all__ = [
    "AcdServer",
    "CustomerDesk",
    "EventListener",
    "EventWatcher",
    "RoutingPort",
    "SocketPush",
    "WaitEstimate",
    "WaitingWork",
    "WorkCompleter",
    "WorkDone",
]
