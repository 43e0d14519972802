"""`helpline import-customers` as a user runs it: the gateway's database, the report, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[3]


def test_given_the_command_when_run_on_a_file_with_a_bad_row_then_exit_1_and_the_report_names_the_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("name,phone\nAnn Lee,020 7946 0958\nBad,12\n", encoding="utf-8")

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway.cli",
            "import-customers",
            str(path),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )

    assert result.returncode == 1, result.stderr
    assert "1 imported, 1 rejected, 2 rows" in result.stdout
    assert "line 3: bad phone '12'" in result.stdout


def test_given_the_help_option_then_the_columns_and_exit_statuses_are_explained() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "import-customers", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )

    assert result.returncode == 0, result.stderr
    words = " ".join(result.stdout.split())  # argparse wraps to the terminal's width
    assert "Columns: name, company, phone, email, account_number, level" in words
    assert "Exit status: 0 every row imported, 1 some rows rejected" in words
