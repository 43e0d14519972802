"""The `helpline` command: serve, demo, check-config, hash-password, import-customers, simulate, speech,
sip, bench."""

from __future__ import annotations

import argparse
import getpass
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["main"]

DEMO_CONFIG = Path(__file__).parent / "demo" / "helpline.yaml"


def _serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--http-host", help="address for the web server (default 127.0.0.1, or server.http.host)"
    )
    parser.add_argument(
        "--http-port", type=int, help="port for the web server (default 8080, or server.http.port)"
    )
    parser.add_argument("--sip-port", type=int, help="SIP port callers and phones use (default 5060)")
    parser.add_argument("--data-dir", help="where the database, recordings and secrets live (default ./data)")
    parser.add_argument(
        "--database-url",
        help="SQLAlchemy URL (default: SQLite file in the data dir; postgresql://... works too)",
    )
    parser.add_argument("--redis-url", help="Redis URL for multi-node event fan-out (optional)")
    parser.add_argument(
        "--no-sip",
        action="store_true",
        help="run without the SIP front (no media workers, no Kamailio): REST and chat only",
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helpline", description="Helpline contact-center gateway.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the gateway with a configuration file",
        description="Run the gateway: web API, real-time events, routing, storage.",
    )
    serve.add_argument("--config", required=True, type=Path, help="the YAML configuration file")
    _serve_options(serve)

    demo = commands.add_parser(
        "demo",
        help="run the gateway with the bundled demo configuration",
        description="Run the gateway with the bundled demo configuration and sample data "
        "(agents alice, bob, carol; supervisor sam; admin ada).",
    )
    _serve_options(demo)

    check = commands.add_parser(
        "check-config",
        help="validate a configuration file",
        description="Validate a configuration file; print every error with its path "
        "and exit 1, or print a summary and exit 0.",
    )
    check.add_argument("path", type=Path, help="the YAML configuration file")

    commands.add_parser(
        "hash-password",
        help="make a password hash for the configuration's users",
        description="Read a password (prompted, or one line on standard input) and print its "
        "argon2 hash for a user's password_hash.",
    )

    commands.add_parser(
        "import-customers",
        help="import customers from a CSV file into the built-in CRM",
        description="Import customers from a CSV file into the built-in CRM "
        "(see `helpline import-customers --help` for the columns and options).",
        add_help=False,
    )

    commands.add_parser(
        "simulate",
        help="what-if: the routing core in virtual time, SL/ASA per interval and the agents needed",
        description="See `helpline simulate --help`.",
        add_help=False,
    )

    commands.add_parser(
        "speech",
        help="speech recognition models (install-model LANG)",
        description="See `helpline speech --help`.",
        add_help=False,
    )

    sip = commands.add_parser("sip", help="SIP tools", description="SIP tools.")
    sip_tools = sip.add_subparsers(dest="sip", required=True, metavar="TOOL")
    sip_tools.add_parser(
        "make-cert",
        help="write a self-signed certificate and key for SIP over TLS (demo)",
        description="See `helpline sip make-cert --help`.",
        add_help=False,
    )

    bench = commands.add_parser("bench", help="run a benchmark", description="Run a benchmark.")
    kinds = bench.add_subparsers(dest="bench", required=True, metavar="KIND")
    kinds.add_parser(
        "routing",
        help="routing decisions per second and latency",
        description="See `helpline bench routing --help`.",
        add_help=False,
    )
    kinds.add_parser(
        "sip",
        help="concurrent IVR calls through Kamailio and the media workers, vs SIPp's UAS",
        description="See `helpline bench sip --help`.",
        add_help=False,
    )
    kinds.add_parser(
        "sip-guard",
        help="CPU and latency a media worker's SIP guard adds per datagram",
        description="See `helpline bench sip-guard --help`.",
        add_help=False,
    )
    kinds.add_parser(
        "metrics",
        help="metrics engine CPU per routing event, beside the routing core's",
        description="See `helpline bench metrics --help`.",
        add_help=False,
    )
    kinds.add_parser(
        "speech",
        help="transcription pipeline real-time factor vs raw Vosk on the same audio",
        description="See `helpline bench speech --help`.",
        add_help=False,
    )
    kinds.add_parser(
        "chat",
        help="concurrent web chats over Socket.IO, persisted, vs a bare python-socketio relay",
        description="See `helpline bench chat --help`.",
        add_help=False,
    )
    kinds.add_parser(
        "pop",
        help="offer -> screen pop rendered in the browser (p50/p95)",
        description="See `helpline bench pop --help`.",
        add_help=False,
    )
    kinds.add_parser(
        "wallboard",
        help="routing event -> figure on the supervisor's console (p50/p95), metrics vs routing CPU",
        description="See `helpline bench wallboard --help`.",
        add_help=False,
    )
    return parser


def _check_config(path: Path) -> int:
    from gateway.config import ConfigError, load_config

    try:
        config = load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"{path}: {problem}", file=sys.stderr)
        print(f"{path}: {len(exc.problems)} error(s)", file=sys.stderr)
        return 1
    roles = {
        r: sum(1 for u in config.users if u.role == r)
        for r in ("agent", "supervisor", "admin", "integration")
    }
    print(f"{path}: valid")
    print("  users: " + ", ".join(f"{n} {r}(s)" for r, n in roles.items()))
    print(
        f"  skills: {len(config.skills)}, queues: {len(config.queues)}, "
        f"business hours: {len(config.business_hours)}, IVR flows: {len(config.flows)}"
    )
    return 0


def _hash_password() -> int:
    from argon2 import PasswordHasher

    password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        print("refused: a password needs at least 8 characters", file=sys.stderr)
        return 1
    print(PasswordHasher().hash(password))
    return 0


def _serve(args: argparse.Namespace, config_path: Path) -> int:
    from gateway.app import ServeOptions, serve
    from gateway.config import ConfigError

    options = ServeOptions(
        config_path=config_path,
        http_host=args.http_host,
        http_port=args.http_port,
        sip_port=args.sip_port,
        data_dir=Path(args.data_dir) if args.data_dir else None,
        database_url=args.database_url,
        redis_url=args.redis_url,
        log_level=args.log_level,
        demo=args.command == "demo",
        sip=not args.no_sip,
    )
    try:
        return serve(options)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 1


# Commands whose module parses its own options (and `--help`); listed in the parser only for discovery.
# The benchmarks live outside the product packages, in the top-level `bench`.
_OWN_PARSERS = {
    ("bench", "routing"): "bench.routing",
    ("bench", "sip"): "bench.sip",
    ("bench", "sip-guard"): "bench.sipguard",
    ("bench", "pop"): "bench.pop",
    ("bench", "wallboard"): "bench.wallboard",
    ("bench", "metrics"): "bench.metrics",
    ("bench", "speech"): "bench.speech",
    ("bench", "chat"): "bench.chat",
    ("import-customers",): "gateway.cti.importer_cli",
    ("simulate",): "gateway.analytics.simulate_cli",
    ("speech",): "gateway.speech.cli",
    ("sip", "make-cert"): "gateway.sip.kamailio.cert_cli",
}


def _load(module: str) -> Callable[[list[str]], int]:
    """The `main` of a command's module, imported only when that command runs.

    The benchmarks (top-level `bench`) may need the test extras (Playwright): a missing one is named.
    """
    try:
        run: Callable[[list[str]], int] = importlib.import_module(module).main
    except ModuleNotFoundError as exc:
        if not module.startswith("bench") or exc.name is None or exc.name.startswith(("bench", "gateway")):
            raise
        raise SystemExit(
            f"helpline: {module} needs {exc.name!r}, a test dependency: pip install 'helpline[test]'"
        ) from None
    return run


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    for words, module in _OWN_PARSERS.items():
        if tuple(argv[: len(words)]) == words:
            return _load(module)(argv[len(words) :])
    args = _parser().parse_args(argv)
    if args.command == "check-config":
        return _check_config(args.path)
    if args.command == "hash-password":
        return _hash_password()
    return _serve(args, DEMO_CONFIG if args.command == "demo" else args.config)


if __name__ == "__main__":
    raise SystemExit(main())
