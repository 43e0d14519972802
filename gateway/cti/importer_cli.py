"""`helpline import-customers FILE.csv`: the CSV importer run against the gateway's database.

Reads the database URL and default region from the configuration file (or the options), migrates the
database like the gateway does at start, then imports through `cti_adapter.importer`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from cti_adapter.builtin import BuiltinCrm
from cti_adapter.errors import CtiError
from cti_adapter.importer import COLUMNS, ImportReport, import_customers, print_report
from gateway.config import ConfigError, load_config
from gateway.storage import Database, StorageError, normalize_url

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="helpline import-customers",
        description="Import customers from a CSV file into the built-in CRM. Columns: " + ", ".join(COLUMNS),
        epilog="Exit status: 0 every row imported, 1 some rows rejected (listed), "
        "2 the file or the database failed.",
    )
    parser.add_argument("file", type=Path, help="the CSV file (UTF-8, header row)")
    parser.add_argument(
        "--config", type=Path, help="the configuration file (database and crm.default_region)"
    )
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: the configuration's, else ./data)")
    parser.add_argument("--data-dir", type=Path, help="where the SQLite database lives (default ./data)")
    parser.add_argument(
        "--region", help="default country for national numbers (default: crm.default_region, GB)"
    )
    return parser


def _settings(args: argparse.Namespace) -> tuple[str, str]:
    database_url, data_dir, region = args.database_url, args.data_dir, args.region
    if args.config is not None:
        config = load_config(args.config)
        database_url = database_url or config.server.database_url
        data_dir = data_dir or (Path(config.server.data_dir) if config.server.data_dir else None)
        crm = getattr(config, "crm", None)
        region = region or getattr(crm, "default_region", None)
    if database_url is None:
        database_url = f"sqlite+aiosqlite:///{(data_dir or Path('data')).resolve() / 'helpline.db'}"
    return database_url, (region or "GB").upper()


class _Bar:
    """A one-line progress bar redrawn in place on a terminal; silent otherwise."""

    def __init__(self, out: TextIO, width: int = 30) -> None:
        self._out, self._width = out, width
        self._tty = out.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self._tty:
            return
        filled = self._width * done // max(total, 1)
        self._out.write(f"\r[{'#' * filled}{'.' * (self._width - filled)}] {done}/{total} rows")
        if done == total:
            self._out.write("\n")
        self._out.flush()


async def _run(path: Path, database_url: str, region: str) -> ImportReport:
    database = Database(database_url)
    await database.start()  # creates and migrates the schema when needed
    await database.close()
    engine: AsyncEngine = await asyncio.to_thread(create_async_engine, normalize_url(database_url))
    try:
        return await import_customers(
            path, BuiltinCrm(engine, default_region=region), progress=_Bar(sys.stderr)
        )
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        database_url, region = _settings(args)
        report = asyncio.run(_run(args.file, database_url, region))
    except (ConfigError, StorageError, CtiError) as exc:
        print(f"import-customers: {exc}", file=sys.stderr)
        return 2
    print_report(report, sys.stdout)
    return 1 if report.rejected else 0


if __name__ == "__main__":
    raise SystemExit(main())
