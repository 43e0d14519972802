"""Load customers from a CSV file into the built-in CRM, reporting every rejected row.

The command line (`helpline import-customers FILE.csv`) is `gateway.cti.importer_cli`, which opens the
gateway's database.

Columns (a header row is required; only `name` must be present, order does not matter):

    name, company, phone, email, account_number, level, products, starts, ends

`phone` in E.164 or national format (read in the default region); `products` separated by `;`; dates
as YYYY-MM-DD. `level` adds an entitlement to the row's account (`starts` required with it). A row whose
`account_number` is already known joins that account. Good rows are kept even when others are rejected.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TextIO

from cti_adapter._phone import normalize_phone
from cti_adapter.builtin import BuiltinCrm, CustomerQuery, NewCustomer, NewEntitlement
from cti_adapter.builtin._customers import normalized_email
from cti_adapter.errors import CtiError, DuplicateCustomer, InvalidCrmData, InvalidPhoneNumber

__all__ = [
    "COLUMNS",
    "DEMO_CUSTOMERS",
    "CsvFileError",
    "ImportReport",
    "RejectedRow",
    "import_customers",
    "print_report",
    "seed_demo_customers",
]

DEMO_CUSTOMERS = Path(__file__).parent / "demo" / "customers.csv"
COLUMNS = ("name", "company", "phone", "email", "account_number", "level", "products", "starts", "ends")
Progress = Callable[[int, int], None]  # (rows done, rows in the file)


class CsvFileError(CtiError):
    """The file as a whole cannot be imported: unreadable, no header, unknown columns."""


class _RepeatedInFile(CtiError):
    def __init__(self, field_name: str, value: str, first: int) -> None:
        super().__init__(f"duplicate {field_name}: {value} is also on line {first}")


@dataclass(frozen=True, slots=True)
class RejectedRow:
    line: int  # the line in the file, the header being line 1
    reason: str


@dataclass(frozen=True, slots=True)
class ImportReport:
    accepted: int = 0
    rejected: tuple[RejectedRow, ...] = field(default_factory=tuple)

    @property
    def total(self) -> int:
        return self.accepted + len(self.rejected)


async def import_customers(path: Path, crm: BuiltinCrm, *, progress: Progress | None = None) -> ImportReport:
    """Import every row of `path`; a bad row is reported with its line and reason and changes nothing."""
    rows = await asyncio.to_thread(_read_rows, path)
    accepted, rejected = 0, []
    seen: dict[tuple[str, str], int] = {}
    for done, (line, row) in enumerate(rows, start=1):
        try:
            new = _customer(row, crm.default_region)
            _check_repeats(new, line, seen)
            await crm.create_customer(new)
            accepted += 1
        except CtiError as exc:
            rejected.append(RejectedRow(line, _reason(exc)))
        if progress is not None:
            progress(done, len(rows))
    return ImportReport(accepted, tuple(rejected))


async def seed_demo_customers(crm: BuiltinCrm) -> ImportReport | None:
    """Import the bundled sample customers into an empty CRM (for `helpline demo`); None when not empty."""
    if await crm.search_customers(CustomerQuery(limit=1)):
        return None
    return await import_customers(DEMO_CUSTOMERS, crm)


def _read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip().lower() for name in reader.fieldnames or []]
            if "name" not in header:
                raise CsvFileError(
                    f"{path}: the header row must name a 'name' column (columns: {', '.join(COLUMNS)})"
                )
            unknown = sorted(set(header) - set(COLUMNS))
            if unknown:
                raise CsvFileError(
                    f"{path}: unknown column(s) {', '.join(unknown)}; known: {', '.join(COLUMNS)}"
                )
            reader.fieldnames = header
            return [
                (reader.line_num, {k: (v or "").strip() for k, v in row.items() if k is not None})
                for row in reader
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CsvFileError(f"{path}: cannot read: {exc}") from None


def _customer(row: dict[str, str], region: str) -> NewCustomer:
    name = row.get("name", "")
    if not name:
        raise InvalidCrmData("name", "missing")
    phone = row.get("phone") or None
    if phone is not None:
        phone = normalize_phone(phone, region)
    email = row.get("email") or None
    if email is not None:
        email = normalized_email(email)
    return NewCustomer(
        name=name,
        phone=phone,
        email=email,
        account_number=row.get("account_number") or None,
        company=row.get("company") or None,
        entitlements=_entitlements(row),
    )


def _entitlements(row: dict[str, str]) -> tuple[NewEntitlement, ...]:
    level = row.get("level", "")
    if not level:
        if row.get("starts") or row.get("ends") or row.get("products"):
            raise InvalidCrmData("level", "missing while starts, ends or products are given")
        return ()
    if not row.get("starts"):
        raise InvalidCrmData("starts", f"missing for the {level!r} entitlement")
    products = tuple(p.strip() for p in row.get("products", "").split(";") if p.strip())
    ends = _date("ends", row["ends"]) if row.get("ends") else None
    return (NewEntitlement(level, _date("starts", row["starts"]), ends, products),)


def _date(name: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidCrmData(name, f"{text!r} is not a date (YYYY-MM-DD)") from None


def _check_repeats(new: NewCustomer, line: int, seen: dict[tuple[str, str], int]) -> None:
    # Within the file, so the report names the first line rather than only "already exists".
    for field_name, value in (("phone", new.phone), ("email", new.email)):
        if value is None:
            continue
        first = seen.setdefault((field_name, value), line)
        if first != line:
            raise _RepeatedInFile(field_name, value, first)


def _reason(exc: CtiError) -> str:
    if isinstance(exc, InvalidPhoneNumber):
        return f"bad phone {exc.raw!r}: {exc.reason}"
    if isinstance(exc, DuplicateCustomer):
        return f"duplicate {exc.field}: {exc.value} already belongs to a customer"
    if isinstance(exc, InvalidCrmData):
        return f"{exc.field}: {exc.problem}"
    return str(exc)


def print_report(report: ImportReport, out: TextIO) -> None:
    out.write(f"{report.accepted} imported, {len(report.rejected)} rejected, {report.total} rows\n")
    for row in report.rejected:
        out.write(f"  line {row.line}: {row.reason}\n")
