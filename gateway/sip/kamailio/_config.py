"""Render Kamailio's configuration and dispatcher list from typed Helpline values (pure, no I/O)."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gateway.sip.kamailio._template import TEMPLATE

__all__ = [
    "CONFIG_NAME",
    "DISPATCHER_LIST_NAME",
    "FrontOptions",
    "KamailioFiles",
    "SipAddress",
    "SipLimits",
    "SipTls",
    "SipTransports",
    "WorkerAddress",
    "render_config",
]

CONFIG_NAME = "kamailio.cfg"
RPC_SOCKET_NAME = "rpc.sock"
DISPATCHER_LIST_NAME = "dispatcher.list"
USRLOC_DB_NAME = "registrations.sqlite"
"""Where Kamailio writes the phones' registrations through to (SQLite): they outlive its restart."""
WORKERS_SET = 1
# tm refuses max_branches of 31 and more ("Too many max UACs for UAC branch_bm_t bitmap"); 12, its default,
# stops failover early when many workers are full.
_MIN_BRANCHES, _MAX_BRANCHES = 12, 30

_SIP_USER = re.compile(r"^[A-Za-z0-9._~+-]{1,64}$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_UNSAFE_PATH_CHARS = ('"', "\\", "\n", "\r", "\0")
# A message body larger than this is refused with 413: a real offer is 1-3 KB, and the SDP check walks it.
MAX_BODY_BYTES = 8192
# See WORKER_PACE in the template: 2 x calls up + 2 x calls ended in the last 0.5 s must stay under 64.
INVITES_PER_WORKER_SECOND = 7
# A larger datagram gets 513: Kamailio could not forward one near 64 KB once it adds Via and Record-Route.
MAX_MESSAGE_BYTES = 16384
# Kamailio's regular expressions are POSIX: a numeric range is spelt digit by digit.
CSEQ_BELOW_2_31 = (
    "^([0-9]{1,9}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}"
    "|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7])$"
)
"""A CSeq number pjsua takes: it drops requests at 2^31 and above without an answer."""
SDP_ORIGIN = "^o=[!-~]{1,64} [0-9]{1,20} [0-9]{1,20} IN IP[46] [A-Za-z0-9.:-]{1,64}$"
SDP_MEDIA = (
    "^m=[a-z]{1,16} (6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
    "(/[1-9])? [A-Za-z0-9/]{1,32}( [A-Za-z0-9*._-]{1,32}){1,32}$"
)
"""An m= line: a port 0..65535 (pjsua aborts on larger ones), at most 32 formats (its PJMEDIA_MAX_SDP_FMT)."""


@dataclass(frozen=True, slots=True)
class SipAddress:
    """An IP literal and a UDP port."""

    host: str
    port: int

    def __post_init__(self) -> None:
        _check_ip(self.host, "host")
        _check_port(self.port, "port")

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerAddress:
    """A media worker as the dispatcher sees it: where it listens and how many calls it carries."""

    host: str
    port: int
    max_calls: int

    def __post_init__(self) -> None:
        _check_ip(self.host, "worker host")
        _check_port(self.port, "worker port")
        if self.max_calls < 1:
            raise ValueError(f"kamailio: worker {self.host}:{self.port}: max_calls must be >= 1")

    @property
    def address(self) -> SipAddress:
        return SipAddress(self.host, self.port)


@dataclass(frozen=True, slots=True, kw_only=True)
class FrontOptions:
    failover_ms: int = 2000
    """A worker that sends no reply at all within this time is skipped (and marked inactive)."""
    ring_seconds: int = 60
    """How long an INVITE may stay unanswered after a provisional reply (phones ringing)."""
    ping_interval: int = 5
    """Seconds between OPTIONS keepalives to every worker."""
    children: int = 2
    """Kamailio's UDP receiver processes."""

    def __post_init__(self) -> None:
        if not 100 <= self.failover_ms <= 60_000:
            raise ValueError(f"kamailio: failover_ms must be 100..60000, got {self.failover_ms}")
        if not 5 <= self.ring_seconds <= 600:
            raise ValueError(f"kamailio: ring_seconds must be 5..600, got {self.ring_seconds}")
        if not 1 <= self.ping_interval <= 3600:
            raise ValueError(f"kamailio: ping_interval must be 1..3600, got {self.ping_interval}")
        if not 1 <= self.children <= 64:
            raise ValueError(f"kamailio: children must be 1..64, got {self.children}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SipLimits:
    """Flood and password-guessing limits Kamailio applies to everything that is not a media worker."""

    flood_requests: int = 300
    """Requests one source address may send within `flood_window_seconds`; beyond: 503 until it slows."""
    flood_window_seconds: int = 2
    auth_failures_per_user: int = 5
    """Failed digest attempts on one SIP user before it is refused (403) for `auth_block_seconds`."""
    auth_failures_per_address: int = 20
    """Failed digest attempts from one address, whatever the user, before it is refused (403)."""
    auth_block_seconds: int = 300
    """How long a block lasts, counted from the failure that last counted."""

    def __post_init__(self) -> None:
        _check_range("flood_requests", self.flood_requests, 10, 100_000)
        _check_range("flood_window_seconds", self.flood_window_seconds, 1, 60)
        _check_range("auth_failures_per_user", self.auth_failures_per_user, 1, 1000)
        _check_range("auth_failures_per_address", self.auth_failures_per_address, 1, 10_000)
        _check_range("auth_block_seconds", self.auth_block_seconds, 1, 86_400)


def _check_range(field: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ValueError(f"kamailio: limits.{field} must be {low}..{high}, got {value}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SipTls:
    """SIP over TLS for phones: the port Kamailio listens on and its certificate and key (PEM files)."""

    port: int
    certificate: Path
    private_key: Path

    def __post_init__(self) -> None:
        _check_port(self.port, "tls.port")
        for field, path in (("certificate", self.certificate), ("private_key", self.private_key)):
            if not path.is_absolute():
                raise ValueError(f"kamailio: tls.{field} must be an absolute path, got {str(path)!r}")
            if any(char in str(path) for char in _UNSAFE_PATH_CHARS):
                raise ValueError(f"kamailio: tls.{field} must not contain quotes, backslashes or newlines")


@dataclass(frozen=True, slots=True, kw_only=True)
class SipTransports:
    """What phones may use besides UDP (always on): TCP on the SIP port, TLS on its own port."""

    tcp: bool = False
    tls: SipTls | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class KamailioFiles:
    """What to write before starting Kamailio, and where."""

    listen: SipAddress
    runtime_dir: Path
    config: str
    dispatcher_list: str
    probe_token: str = ""
    """Sent by the gateway's health probe in `X-Helpline-Probe`: answered before the flood limit counts."""

    @property
    def config_path(self) -> Path:
        return self.runtime_dir / CONFIG_NAME

    @property
    def dispatcher_path(self) -> Path:
        return self.runtime_dir / DISPATCHER_LIST_NAME


def render_config(
    *,
    listen: SipAddress,
    workers: Sequence[WorkerAddress],
    agents: Mapping[str, str],
    runtime_dir: Path,
    domain: str,
    options: FrontOptions | None = None,
    limits: SipLimits | None = None,
    transports: SipTransports | None = None,
    worker_private_host: str | None = None,
) -> KamailioFiles:
    """Kamailio's files for these workers and agents (SIP user -> password); ValueError names bad input.

    `worker_private_host`: where the workers' pjsua listen behind their SIP guards (see `WorkerPool`).
    """
    options = options or FrontOptions()
    limits = limits or SipLimits()
    transports = transports or SipTransports()
    _check_listen(listen)
    _check_workers(listen, workers)
    _check_tls_port(listen, workers, transports)
    _check_domain(domain)
    _check_runtime_dir(runtime_dir)
    probe_token = secrets.token_hex(12)
    values = {
        "children": str(options.children),
        "listen": str(listen),
        "domain": domain,
        "max_branches": str(min(_MAX_BRANCHES, max(_MIN_BRANCHES, len(workers) + 1))),
        "failover_ms": str(options.failover_ms),
        "ring_ms": str(options.ring_seconds * 1000),
        "ring_expire": str(options.ring_seconds + 30),
        "ping_interval": str(options.ping_interval),
        "dispatcher_list": str(runtime_dir / DISPATCHER_LIST_NAME),
        "workers_set": str(WORKERS_SET),
        "worker_count": str(len(workers)),
        "agents": _agents_block(agents, domain),
        "rpc_socket": str(runtime_dir / RPC_SOCKET_NAME),
        "max_body_bytes": str(MAX_BODY_BYTES),
        "invites_per_worker": str(INVITES_PER_WORKER_SECOND),
        "max_message_bytes": str(MAX_MESSAGE_BYTES),
        "cseq_below_2_31": CSEQ_BELOW_2_31,
        "sdp_origin": SDP_ORIGIN,
        "sdp_media": SDP_MEDIA,
        "usrloc_url": f"sqlite:///{runtime_dir / USRLOC_DB_NAME}",  # sqlite:/// + an absolute path
        "probe_token": probe_token,
        "worker_private_source": _private_source(workers, worker_private_host),
        **_limit_values(limits),
        **_transport_values(listen, transports),
    }
    return KamailioFiles(
        listen=listen,
        runtime_dir=runtime_dir,
        config=_fill(TEMPLATE, values),
        dispatcher_list=_dispatcher_list(workers),
        probe_token=probe_token,
    )


def _private_source(workers: Sequence[WorkerAddress], private_host: str | None) -> str:
    if private_host is None:
        return ""
    _check_ip(private_host, "worker_private_host")
    hosts = {worker.host for worker in workers}
    if len(hosts) != 1:
        raise ValueError(f"kamailio: workers behind SIP guards must share one host, got {sorted(hosts)}")
    return f'\tif ($si == "{private_host}") {{\n\t\tset_source_address("udp:{hosts.pop()}:$sp");\n\t}}'


def _limit_values(limits: SipLimits) -> dict[str, str]:
    return {
        "flood_requests": str(limits.flood_requests),
        "flood_window_seconds": str(limits.flood_window_seconds),
        # pike forgets an address this long after its last request; a blocked one stays blocked while it
        # keeps flooding, however long that is.
        "flood_forget_seconds": str(max(60, 4 * limits.flood_window_seconds)),
        "auth_failures_per_user": str(limits.auth_failures_per_user),
        "auth_failures_per_address": str(limits.auth_failures_per_address),
        "auth_block_seconds": str(limits.auth_block_seconds),
    }


def _transport_values(listen: SipAddress, transports: SipTransports) -> dict[str, str]:
    listens = [f"listen=udp:{listen}"]
    if transports.tcp:
        listens.append(f"listen=tcp:{listen}")
    tls = transports.tls
    if tls is not None:
        listens.append(f"listen=tls:{SipAddress(listen.host, tls.port)}")
    return {
        "listen_lines": "\n".join(listens),
        "disable_tcp": "no" if transports.tcp or tls is not None else "yes",
        "enable_tls": "yes" if tls is not None else "no",
        "tls_modules": _tls_modules(tls),
    }


def _tls_modules(tls: SipTls | None) -> str:
    if tls is None:
        return "# No TLS (server.sip.tls is not set)."
    return "\n".join(
        [
            'loadmodule "tls.so"',
            f'modparam("tls", "certificate", "{tls.certificate}")',
            f'modparam("tls", "private_key", "{tls.private_key}")',
            # Phones are not asked for certificates: they authenticate with their digest password.
            'modparam("tls", "tls_method", "TLSv1.2+")',
            'modparam("tls", "verify_certificate", 0)',
            'modparam("tls", "require_certificate", 0)',
        ]
    )


def ha1(user: str, realm: str, password: str) -> str:
    """RFC 2617 HA1, so that the configuration holds no clear-text password."""
    return hashlib.md5(f"{user}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()


def _dispatcher_list(workers: Sequence[WorkerAddress]) -> str:
    lines = ["# setid destination flags priority attributes (generated by Helpline)"]
    for index, worker in enumerate(workers):
        attrs = f"duid=worker-{index};maxload={worker.max_calls}"
        # Kamailio orders a set by priority (highest first); among equally loaded workers the first wins.
        priority = len(workers) - index
        lines.append(f"{WORKERS_SET} sip:{worker.address} 0 {priority} {attrs}")
    return "\n".join(lines) + "\n"


def _agents_block(agents: Mapping[str, str], realm: str) -> str:
    lines = []
    for user, password in sorted(agents.items()):
        if not _SIP_USER.match(user):
            raise ValueError(f"kamailio: agent SIP user {user!r} must be 1-64 of A-Z a-z 0-9 . _ ~ + -")
        if not password:
            raise ValueError(f"kamailio: agent SIP user {user!r}: password must not be empty")
        lines.append(f'\t$sht(agents=>{user}) = "{ha1(user, realm, password)}";')
    return "\n".join(lines) if lines else "\treturn;"


def _fill(template: str, values: Mapping[str, str]) -> str:
    missing = set(_PLACEHOLDER.findall(template)) - values.keys()
    if missing:
        raise KeyError(f"kamailio template: no value for {sorted(missing)}")
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def _check_listen(listen: SipAddress) -> None:
    if ipaddress.ip_address(listen.host).is_unspecified:
        raise ValueError(
            f"kamailio: listen host must be the address phones reach, not {listen.host} "
            "(Kamailio writes it into Via and Record-Route)"
        )


def _check_workers(listen: SipAddress, workers: Sequence[WorkerAddress]) -> None:
    if not workers:
        raise ValueError("kamailio: workers must not be empty")
    addresses = [worker.address for worker in workers]
    if len(set(addresses)) != len(addresses):
        raise ValueError("kamailio: two workers have the same address")
    if listen in addresses:
        raise ValueError(f"kamailio: listen address {listen} is also a worker's address")


def _check_tls_port(listen: SipAddress, workers: Sequence[WorkerAddress], transports: SipTransports) -> None:
    tls = transports.tls
    if tls is None:
        return
    if tls.port == listen.port:
        raise ValueError(f"kamailio: tls.port {tls.port} is the SIP port (TCP shares it): choose another")
    if SipAddress(listen.host, tls.port) in [worker.address for worker in workers]:
        raise ValueError(f"kamailio: tls.port {tls.port} is also a media worker's port")


def _check_ip(host: str, field: str) -> None:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"kamailio: {field} must be an IP address, got {host!r}") from None


def _check_port(port: int, field: str) -> None:
    if not 1 <= port <= 65535:
        raise ValueError(f"kamailio: {field} must be 1..65535, got {port}")


def _check_domain(domain: str) -> None:
    if not _DOMAIN.match(domain):
        raise ValueError(f"kamailio: domain must be a host name or IPv4 address, got {domain!r}")


def _check_runtime_dir(runtime_dir: Path) -> None:
    if not runtime_dir.is_absolute():
        raise ValueError(f"kamailio: runtime_dir must be absolute, got {str(runtime_dir)!r}")
    if any(char in str(runtime_dir) for char in _UNSAFE_PATH_CHARS):
        raise ValueError(
            f"kamailio: runtime_dir must not contain quotes, backslashes or newlines: {runtime_dir}"
        )
