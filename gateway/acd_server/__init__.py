"""The routing core (`gateway.acd`) served: its asyncio runner, event log, read models, sockets and REST."""

from __future__ import annotations

from gateway.acd_server._server import AcdServer

__all__ = ["AcdServer"]
