"""A media worker's options, from its command line."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["WorkerOptions", "parse_args"]

_CLOCK_RATES = (8000, 16000, 32000, 48000)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerOptions:
    host: str = "127.0.0.1"
    port: int = 5080
    rtp_port: int = 0
    max_calls: int = 0
    """Calls to carry at most; 0 carries as many as the library has slots for (one is kept to refuse)."""
    retry_after: int = 5
    poll_ms: int = 20
    """How long one poll of pjsua may wait while calls are up (prompt ends and commands are noticed)."""
    idle_poll_ms: int = 100
    """The same with no call up: SIP and RTP still wake the poll at once; only commands wait longer."""
    clock_rate: int = 8000
    """The conference bridge's rate: 8 kHz like G.711 and the 8 kHz prompts, so nothing is resampled."""
    pj_log_level: int = 1
    private_host: str = ""
    """Where pjsua listens behind the worker's SIP guard (a loopback address, same port); "": no guard."""

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"worker: port must be 0..65535, got {self.port}")
        if self.max_calls < 0:
            raise ValueError(f"worker: max_calls must be >= 0, got {self.max_calls}")
        if self.retry_after < 1:
            raise ValueError(f"worker: retry_after must be >= 1 second, got {self.retry_after}")
        if not 1 <= self.poll_ms <= 1000:
            raise ValueError(f"worker: poll_ms must be 1..1000, got {self.poll_ms}")
        if not 1 <= self.idle_poll_ms <= 1000:
            raise ValueError(f"worker: idle_poll_ms must be 1..1000, got {self.idle_poll_ms}")
        if self.private_host and self.private_host == self.host:
            raise ValueError(f"worker: private_host must differ from host {self.host!r}")
        if self.clock_rate not in _CLOCK_RATES:
            raise ValueError(f"worker: clock_rate must be one of {_CLOCK_RATES}, got {self.clock_rate}")


def parse_args(argv: Sequence[str] | None = None) -> WorkerOptions:
    parser = argparse.ArgumentParser(
        prog="python -m gateway.sip.worker", description="A Helpline media worker: one pjsua2 endpoint."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind SIP and RTP to")
    parser.add_argument("--port", type=int, default=5080, help="SIP UDP port (0: any free port)")
    parser.add_argument("--rtp-port", type=int, default=0, help="first RTP port (0: pjsua's default)")
    parser.add_argument("--max-calls", type=int, default=0, help="carry at most this many calls")
    parser.add_argument("--retry-after", type=int, default=5, help="Retry-After seconds on 503")
    parser.add_argument("--poll-ms", type=int, default=20, help="pjsua2 event polling interval")
    parser.add_argument("--idle-poll-ms", type=int, default=100, help="polling interval with no call up")
    parser.add_argument("--clock-rate", type=int, default=8000, help="conference bridge rate (Hz)")
    parser.add_argument("--pj-log-level", type=int, default=1, help="pjsua log level (to stderr)")
    parser.add_argument(
        "--private-host", default="", help="pjsua listens here (same port) behind a SIP guard on --host"
    )
    args = parser.parse_args(argv)
    try:
        return WorkerOptions(
            host=args.host,
            port=args.port,
            rtp_port=args.rtp_port,
            max_calls=args.max_calls,
            retry_after=args.retry_after,
            poll_ms=args.poll_ms,
            idle_poll_ms=args.idle_poll_ms,
            clock_rate=args.clock_rate,
            pj_log_level=args.pj_log_level,
            private_host=args.private_host,
        )
    except ValueError as exc:
        parser.error(str(exc))
