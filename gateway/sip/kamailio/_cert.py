"""A self-signed certificate and key for SIP over TLS (demos, tests), made by the system's `openssl`."""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CertificatePair", "make_self_signed"]

_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})*$"
)


@dataclass(frozen=True, slots=True)
class CertificatePair:
    certificate: Path
    private_key: Path


def make_self_signed(
    folder: Path, *, hosts: tuple[str, ...], days: int = 825, name: str = "sip-tls", force: bool = False
) -> CertificatePair:
    """`<name>.crt` and `<name>.key` (0600) in `folder`, valid for `hosts` (IP addresses or DNS names).

    ValueError names a bad argument; FileExistsError when the pair exists and `force` is not set;
    RuntimeError carries openssl's complaint.
    """
    if not hosts:
        raise ValueError("make-cert: give at least one host (an IP address or a DNS name)")
    if not 1 <= days <= 3650:
        raise ValueError(f"make-cert: days must be 1..3650, got {days}")
    names = [_subject_alt_name(host) for host in hosts]
    pair = CertificatePair(folder / f"{name}.crt", folder / f"{name}.key")
    if not force and (pair.certificate.exists() or pair.private_key.exists()):
        raise FileExistsError(
            f"make-cert: {pair.certificate} or {pair.private_key} exists (--force replaces)"
        )
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("make-cert: `openssl` is not installed (Debian package openssl)")
    folder.mkdir(parents=True, exist_ok=True)
    _run_openssl(openssl, pair, hosts[0], names, days)
    return pair


def _subject_alt_name(host: str) -> str:
    try:
        return f"IP:{ipaddress.ip_address(host)}"
    except ValueError:
        pass
    if not _HOST_NAME.match(host):
        raise ValueError(f"make-cert: {host!r} is neither an IP address nor a DNS name")
    return f"DNS:{host}"


def _run_openssl(openssl: str, pair: CertificatePair, common_name: str, names: list[str], days: int) -> None:
    pair.private_key.unlink(missing_ok=True)
    # The key is created readable by its owner only, before openssl writes a byte of it.
    os.close(os.open(pair.private_key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    argv = [
        openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-days", str(days), "-subj", f"/CN={common_name}", "-addext", f"subjectAltName={','.join(names)}",
        "-keyout", str(pair.private_key), "-out", str(pair.certificate),
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pair.private_key.unlink(missing_ok=True)
        raise RuntimeError(f"make-cert: openssl failed: {done.stderr.strip()}")
