"""The `helpline` command as a user runs it: exit codes and what it prints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
BAD = sorted((ROOT / "tests" / "unit" / "config" / "bad").glob("*.yaml"))


def helpline(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        cwd=ROOT,
    )


def test_given_demo_config_when_checked_then_exit_0_with_summary() -> None:
    result = helpline("check-config", "gateway/demo/helpline.yaml")
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout
    assert "3 agent(s)" in result.stdout
    assert "queues: 4" in result.stdout


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_given_bad_config_when_checked_then_exit_1_and_the_field_is_named(path: Path) -> None:
    expected = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ")
    result = helpline("check-config", str(path))
    assert result.returncode == 1
    assert expected in result.stderr
    assert "error(s)" in result.stderr


def test_given_each_command_when_help_then_it_explains_itself() -> None:
    for command, words in (
        ("serve", "--config"),
        ("demo", "demo configuration"),
        ("check-config", "path"),
        ("hash-password", "argon2"),
        ("bench", "routing"),
    ):
        result = helpline(command, "--help")
        assert result.returncode == 0
        assert words in result.stdout
    for option in ("--http-host", "--http-port", "--sip-port", "--data-dir", "--database-url", "--redis-url"):
        assert option in helpline("serve", "--help").stdout


def test_given_password_on_stdin_when_hashing_then_argon2_hash_that_verifies() -> None:
    from argon2 import PasswordHasher

    result = helpline("hash-password", stdin="correct horse battery\n")
    assert result.returncode == 0
    digest = result.stdout.strip()
    assert digest.startswith("$argon2id$")
    assert PasswordHasher().verify(digest, "correct horse battery")


def test_given_short_password_when_hashing_then_refused() -> None:
    result = helpline("hash-password", stdin="short\n")
    assert result.returncode == 1
    assert "at least 8" in result.stderr


def test_given_bad_config_when_serving_then_exit_1_with_the_errors(tmp_path: Path) -> None:
    result = helpline("serve", "--config", str(BAD[0]), "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert "error(s)" in result.stderr


def test_given_bench_routing_with_a_warm_up_when_run_then_the_bench_package_prints_one_json_object() -> None:
    result = helpline(
        "bench", "routing", "--agents", "20", "--skills", "4", "--waiting", "50", "--decisions", "100",
        "--warm-up", "10", "--json",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["agents"], report["decisions"]) == (20, 100)


def test_given_a_recordings_key_file_that_is_not_a_key_when_serving_then_exit_1_naming_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "recordings.key").write_text("not a key", encoding="ascii")
    config = tmp_path / "helpline.yaml"
    config.write_text("server: {recordings: {encryption_key_file: recordings.key}}\n", encoding="utf-8")

    result = helpline("serve", "--config", str(config), "--data-dir", str(tmp_path / "data"), "--no-sip")

    assert result.returncode == 1
    assert "server.recordings.encryption_key_file" in result.stderr
    assert "recordings.key: cannot read a base64 key" in result.stderr


def test_given_a_folder_when_sip_make_cert_then_a_pair_for_the_hosts_with_a_private_key_and_the_yaml(
    tmp_path: Path,
) -> None:
    made = helpline(
        "sip", "make-cert", "--dir", str(tmp_path), "--host", "10.0.0.5", "--host", "sip.example.org"
    )
    again = helpline("sip", "make-cert", "--dir", str(tmp_path))
    bad = helpline("sip", "make-cert", "--dir", str(tmp_path / "other"), "--host", "not a host!")

    assert made.returncode == 0, made.stderr
    assert f"certificate: {tmp_path / 'sip-tls.crt'}" in made.stdout
    assert (tmp_path / "sip-tls.key").stat().st_mode & 0o777 == 0o600
    text = subprocess.run(
        ["openssl", "x509", "-in", str(tmp_path / "sip-tls.crt"), "-noout", "-text"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "IP Address:10.0.0.5, DNS:sip.example.org" in text
    assert again.returncode == 1 and "--force" in again.stderr
    assert bad.returncode == 1 and "'not a host!' is neither an IP address nor a DNS name" in bad.stderr
    assert not (tmp_path / "other").exists()
