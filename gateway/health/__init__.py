"""`/healthz`: whether each part calls and chats depend on is working, as JSON, 503 when one is not.

`HealthService` runs the checks the composition root gives it (database, Redis when configured, the SIP
front's Kamailio and media workers) side by side, each bounded in time; `http.routes` serves the report.
"""

from __future__ import annotations

from gateway.health._checks import database_check, redis_check, sip_check
from gateway.health._report import Check, Component, HealthReport, HealthService

__all__ = [
    "Check",
    "Component",
    "HealthReport",
    "HealthService",
    "database_check",
    "redis_check",
    "sip_check",
]
