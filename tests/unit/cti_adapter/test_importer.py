"""CSV import of customers: good rows land, bad rows are reported with their line and why."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cti_adapter import Lookup
from cti_adapter.builtin import BuiltinCrm
from cti_adapter.importer import CsvFileError, import_customers, seed_demo_customers

ROOT = Path(__file__).parents[3]
DEMO = ROOT / "cti_adapter" / "demo" / "customers.csv"
NOW = datetime(2025, 6, 1, tzinfo=UTC)

MIXED = """name,company,phone,email,account_number,level,products,starts,ends
Ann Lee,Lee Logistics,020 7946 0958,ann@lee.example,100,premium,router;fibre,2024-01-01,2030-12-31
,Nameless Ltd,020 7946 0001,nobody@example.com,101,,,,
Bad Phone,,12345,bad@example.com,102,,,,
Twin Ann,,+442079460958,twin@example.com,103,,,,
Bad Date,,020 7946 0002,date@example.com,104,standard,,2024-13-01,
Backwards,,020 7946 0003,back@example.com,105,standard,,2024-06-01,2024-01-01
Bob Lee,,020 7946 0959,bob@lee.example,100,,,,
"""


async def _write(path: Path, text: str) -> Path:
    await __import__("asyncio").to_thread(path.write_text, text, encoding="utf-8")
    return path


async def test_given_good_and_bad_rows_when_imported_then_good_rows_land_and_each_bad_row_says_why(
    crm: BuiltinCrm, tmp_path: Path
) -> None:
    path = await _write(tmp_path / "customers.csv", MIXED)
    seen: list[tuple[int, int]] = []

    report = await import_customers(path, crm, progress=lambda done, total: seen.append((done, total)))

    assert report.accepted == 2
    reasons = {row.line: row.reason for row in report.rejected}
    assert reasons[3] == "name: missing"
    assert reasons[4].startswith("bad phone '12345'")
    assert reasons[5] == "duplicate phone: +442079460958 is also on line 2"
    assert reasons[6].startswith("starts: '2024-13-01' is not a date")
    assert reasons[7].startswith("ends: 2024-01-01 is before starts")
    assert seen[-1] == (7, 7) and len(seen) == 7
    ann = await crm.find_customer(Lookup.by_account("100"))
    assert ann is not None and ann.others == 1  # Bob joined Ann's account
    assert await crm.find_customer(Lookup.by_email("date@example.com")) is None


async def test_given_customers_already_in_the_crm_when_imported_again_then_every_row_is_a_duplicate(
    crm: BuiltinCrm, tmp_path: Path
) -> None:
    path = await _write(tmp_path / "customers.csv", MIXED)
    await import_customers(path, crm)

    again = await import_customers(path, crm)

    reasons = {row.line: row.reason for row in again.rejected}
    assert again.accepted == 0
    assert reasons[2] == "duplicate phone: +442079460958 already belongs to a customer"
    assert reasons[8] == "duplicate phone: +442079460959 already belongs to a customer"


async def test_given_unknown_column_when_imported_then_the_whole_file_is_refused_naming_it(
    crm: BuiltinCrm, tmp_path: Path
) -> None:
    path = await _write(tmp_path / "customers.csv", "name,fax\nAnn,123\n")

    with pytest.raises(CsvFileError, match="fax"):
        await import_customers(path, crm)


async def test_given_demo_file_when_imported_then_every_sample_customer_lands_with_entitlements(
    crm: BuiltinCrm,
) -> None:
    report = await import_customers(DEMO, crm)

    assert report.rejected == ()
    assert report.accepted == 15
    ann = await crm.find_customer(Lookup.by_phone("+442079460958", "GB"))
    assert ann is not None
    premium = await crm.entitlement(ann.customer.id, "router", NOW)
    assert premium is not None and premium.level == "premium"
    kofi = await crm.find_customer(Lookup.by_account("10119999"))
    assert kofi is not None and await crm.entitlement(kofi.customer.id, None, NOW) is None  # expired


async def test_given_the_demo_when_seeded_twice_then_samples_land_once(crm: BuiltinCrm) -> None:
    first = await seed_demo_customers(crm)
    second = await seed_demo_customers(crm)

    assert first is not None and first.accepted == 15
    assert second is None
