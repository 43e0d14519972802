"""Decide what listens on the SIP port: Kamailio in front of the media workers, or one worker alone."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["WORKER_PORT_OFFSET", "SipFrontPlan", "plan_sip_front"]

WORKER_PORT_OFFSET = 20
"""Workers behind Kamailio listen from the SIP port + 20 (5080 for 5060), on the loopback."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SipFrontPlan:
    kamailio: str | None
    """Kamailio's binary: it listens on the SIP port; None: the single worker listens there itself."""
    sip_host: str
    sip_port: int
    worker_host: str
    worker_base_port: int
    worker_count: int
    warning: str | None = None
    """What to log (at WARNING) when the plan is a degraded one."""


def plan_sip_front(
    *,
    kamailio: str | None,
    sip_port: int,
    workers: int,
    sip_host: str = "127.0.0.1",
    worker_host: str = "127.0.0.1",
    worker_base_port: int | None = None,
) -> SipFrontPlan:
    """Kamailio on `sip_host:sip_port` with `workers` workers behind it, or one worker on the SIP port."""
    if not 1 <= sip_port <= 65535:
        raise ValueError(f"sip front: sip_port must be 1..65535, got {sip_port}")
    if workers < 1:
        raise ValueError(f"sip front: workers must be >= 1, got {workers}")
    if kamailio is None:
        warning = (
            "kamailio not installed (Debian package 'kamailio'): agents' phones cannot register; "
            f"a single media worker listens on UDP {sip_port}"
        )
        return SipFrontPlan(
            kamailio=None, sip_host=sip_host, sip_port=sip_port, worker_host=sip_host,
            worker_base_port=sip_port, worker_count=1, warning=warning,
        )  # fmt: skip
    base = sip_port + WORKER_PORT_OFFSET if worker_base_port is None else worker_base_port
    if not 1 <= base <= 65535 - workers + 1:
        raise ValueError(f"sip front: worker_base_port must leave room for {workers} ports, got {base}")
    if base <= sip_port < base + workers and worker_host == sip_host:
        raise ValueError(
            f"sip front: worker ports {base}..{base + workers - 1} include the SIP port {sip_port}"
        )
    return SipFrontPlan(
        kamailio=kamailio, sip_host=sip_host, sip_port=sip_port, worker_host=worker_host,
        worker_base_port=base, worker_count=workers,
    )  # fmt: skip
