"""The supervisor's console at `/supervisor`: a live wallboard of queues and agents, and control (change any
agent's presence, move waiting work, offer it to a named agent, read why it went where it went), every
action audited in the routing event log. Figures come from the one metrics engine (`gateway.analytics`).
The page is built with the agent panel (`gateway/panel`,
`src/console/`); figures are pushed over the `/supervisor` Socket.IO namespace.
"""

from __future__ import annotations

from aiohttp import web

from gateway.panel import add_page
from gateway.supervisor._board import Board, WorkSource
from gateway.supervisor._console import Console, SupervisorPush
from gateway.supervisor.http import routes

__all__ = ["Board", "Console", "SupervisorPush", "WorkSource", "add_routes", "routes"]


def add_routes(app: web.Application) -> None:
    """GET /supervisor (the console page) and its assets; the page signs in and is refused unless the user is
    a supervisor or an admin (the socket and the REST routes check the role)."""
    add_page(app, "/supervisor", "console.html")
