"""Real-time push to browsers over Socket.IO: `/agent` (each agent sees only its own work), `/supervisor`."""

from __future__ import annotations

from gateway.realtime._server import AgentActions, RealtimeServer, StaffNamespace, SupervisorActions

__all__ = ["AgentActions", "RealtimeServer", "StaffNamespace", "SupervisorActions"]
