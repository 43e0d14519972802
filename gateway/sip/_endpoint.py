"""How a media worker's pjsua2 endpoint, SIP transport and account are configured, from its options."""

from __future__ import annotations

from typing import Any

from gateway.sip._options import WorkerOptions
from gateway.sip._pjsua import ioqueue_name, pj

__all__ = ["account_config", "endpoint_config", "message_headers", "transport_config"]

_SELECT_IOQUEUE_HANDLES = 64


def endpoint_config(options: WorkerOptions) -> Any:
    config = pj.EpConfig()
    config.uaConfig.threadCnt = 0
    config.uaConfig.mainThreadOnly = True
    config.uaConfig.maxCalls = _slots_to_ask_for(options)
    config.uaConfig.userAgent = "Helpline media worker"
    config.medConfig.threadCnt = 0
    # The conference bridge runs at the calls' rate (8 kHz for G.711), so that no call and no 8 kHz
    # prompt or recording is resampled: at 16 kHz resampling took half of a worker's CPU.
    config.medConfig.clockRate = options.clock_rate
    config.medConfig.sndClockRate = options.clock_rate
    config.logConfig.level = options.pj_log_level
    config.logConfig.consoleLevel = options.pj_log_level
    return config


def _slots_to_ask_for(options: WorkerOptions) -> int:
    """Call slots to configure; pjsua caps this at its build limit, read back by the worker at start."""
    wanted = options.max_calls + 1 if options.max_calls else 4096
    if ioqueue_name() == "select":
        # select() serves 64 sockets and the library aborts past that. A call holds 2 (RTP, RTCP)
        # and a closed one stays busy for 500 ms, so churn can need twice the active count.
        wanted = min(wanted, (_SELECT_IOQUEUE_HANDLES - 2) // 4)
    return wanted


def transport_config(options: WorkerOptions, port: int) -> Any:
    """pjsua's SIP transport: behind a guard, bound to the private address and advertising the guard's."""
    config = pj.TransportConfig()
    config.port = port
    config.boundAddress = options.private_host or options.host
    if options.private_host:
        config.publicAddress = options.host
    return config


def account_config(options: WorkerOptions, host: str, port: int) -> Any:
    config = pj.AccountConfig()
    config.idUri = f"sip:worker@{host}:{port}"
    config.mediaConfig.transportConfig.port = options.rtp_port
    config.mediaConfig.transportConfig.boundAddress = options.host
    return config


def message_headers(message: str) -> tuple[tuple[str, str], ...]:
    """The (name, value) header pairs of a SIP message, in order."""
    head = message.split("\r\n\r\n", 1)[0]
    pairs = []
    for line in head.split("\r\n")[1:]:
        name, colon, value = line.partition(":")
        if colon and name.strip():
            pairs.append((name.strip(), value.strip()))
    return tuple(pairs)
