"""`helpline sip make-cert`: a self-signed certificate and key for SIP over TLS, and the YAML to use them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from gateway.sip.kamailio._cert import make_self_signed

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="helpline sip make-cert",
        description="Write a self-signed certificate and private key for SIP over TLS (for a demo or a test: "
        "phones must be told to trust it), and print the server.sip.tls lines that use them.",
    )
    parser.add_argument("--dir", type=Path, default=Path("."), help="folder to write them to (default: .)")
    parser.add_argument(
        "--host",
        action="append",
        dest="hosts",
        help="an IP address or DNS name phones reach the gateway by; repeat for more (default 127.0.0.1)",
    )
    parser.add_argument("--days", type=int, default=825, help="days of validity (default 825)")
    parser.add_argument("--force", action="store_true", help="replace an existing pair")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        pair = make_self_signed(
            args.dir.resolve(), hosts=tuple(args.hosts or ["127.0.0.1"]), days=args.days, force=args.force
        )
    except (ValueError, FileExistsError, RuntimeError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"wrote {pair.certificate} and {pair.private_key} (readable by you only)")
    print("server:\n  sip:\n    tls:\n      port: 5061")
    print(f"      certificate: {pair.certificate}\n      private_key: {pair.private_key}")
    return 0
