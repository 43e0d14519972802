"""The routing core wired into the server: event log, read models, sockets and REST."""

from __future__ import annotations

from gateway.routing._hub import RoutingHub

__all__ = ["RoutingHub"]
