"""Kamailio in front of the media workers: registrar for agents' phones, dispatcher for callers.

`render_config` turns Helpline's values into Kamailio's files, `KamailioProcess` runs Kamailio with them,
`KamailioSupervisor` restarts it when it exits, and `plan_sip_front` decides whether Kamailio or a lone
media worker takes the SIP port.
"""

from __future__ import annotations

from gateway.sip.kamailio._config import (
    FrontOptions,
    KamailioFiles,
    SipAddress,
    SipLimits,
    SipTls,
    SipTransports,
    WorkerAddress,
    render_config,
)
from gateway.sip.kamailio._plan import WORKER_PORT_OFFSET, SipFrontPlan, plan_sip_front
from gateway.sip.kamailio._process import ExitHandler, KamailioProcess, find_kamailio
from gateway.sip.kamailio._supervisor import KamailioHealth, KamailioState, KamailioSupervisor
from gateway.sip.kamailio.errors import (
    KamailioConfigError,
    KamailioError,
    KamailioRpcError,
    KamailioStartError,
)

__all__ = [
    "WORKER_PORT_OFFSET",
    "ExitHandler",
    "FrontOptions",
    "KamailioConfigError",
    "KamailioError",
    "KamailioFiles",
    "KamailioHealth",
    "KamailioProcess",
    "KamailioRpcError",
    "KamailioStartError",
    "KamailioState",
    "KamailioSupervisor",
    "SipAddress",
    "SipFrontPlan",
    "SipLimits",
    "SipTls",
    "SipTransports",
    "WorkerAddress",
    "find_kamailio",
    "plan_sip_front",
    "render_config",
]
