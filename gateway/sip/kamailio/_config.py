"""Render Kamailio's configuration and dispatcher list from typed Helpline values (pure, no I/O)."""

from __future__ import annotations

import hashlib
import ipaddress
import re
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
    "WorkerAddress",
    "render_config",
]

CONFIG_NAME = "kamailio.cfg"
DISPATCHER_LIST_NAME = "dispatcher.list"
WORKERS_SET = 1
# tm refuses max_branches of 31 and more ("Too many max UACs for UAC branch_bm_t bitmap"); 12, its default,
# stops failover early when many workers are full.
_MIN_BRANCHES, _MAX_BRANCHES = 12, 30

_SIP_USER = re.compile(r"^[A-Za-z0-9._~+-]{1,64}$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_UNSAFE_PATH_CHARS = ('"', "\\", "\n", "\r", "\0")


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
class KamailioFiles:
    """What to write before starting Kamailio, and where."""

    listen: SipAddress
    runtime_dir: Path
    config: str
    dispatcher_list: str

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
) -> KamailioFiles:
    """Kamailio's files for these workers and agents (SIP user -> password); ValueError names bad input."""
    options = options or FrontOptions()
    _check_listen(listen)
    _check_workers(listen, workers)
    _check_domain(domain)
    _check_runtime_dir(runtime_dir)
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
    }
    return KamailioFiles(
        listen=listen,
        runtime_dir=runtime_dir,
        config=_fill(TEMPLATE, values),
        dispatcher_list=_dispatcher_list(workers),
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
