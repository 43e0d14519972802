"""Secrets never leave the process: redacted by key name in answers, masked by value in log lines."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from gateway.config import parse_config, redact_secrets, secret_values
from gateway.logs import configure_logging, hide_in_logs

SECRETS = {
    "crm-token-0123456789",
    "webhook-secret-0123456789",
    "alice-sip-secret",
    "pg-password-42",
}
CONFIG = """
server:
  database_url: "postgresql://helpline:pg-password-42@db.example/helpline"
  token_ttl_seconds: 3600
  recordings: {encryption_key_file: keys/recordings.key}
crm:
  kind: rest
  base_url: "https://crm.example/api"
  token: crm-token-0123456789
  webhook_url: "https://hooks.example/in"
  webhook_secret: webhook-secret-0123456789
users:
  - {id: alice, name: Alice, role: agent, password_hash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
     sip: {user: "1001", password: alice-sip-secret}}
"""


def _dump() -> dict[str, object]:
    return parse_config(yaml.safe_load(CONFIG)).model_dump(mode="json")


def test_given_a_configuration_when_redacted_then_no_secret_value_is_left_and_the_rest_is_intact() -> None:
    redacted = redact_secrets(_dump())
    text = yaml.safe_dump(redacted)

    assert [s for s in SECRETS if s in text] == []
    assert "$argon2id" not in text
    assert redacted["crm"]["token"] == redacted["crm"]["webhook_secret"] == "<redacted>"
    assert redacted["server"]["database_url"] == "postgresql://helpline:***@db.example/helpline"
    assert redacted["server"]["token_ttl_seconds"] == 3600  # a number under a secret-sounding key stays
    assert redacted["server"]["recordings"]["encryption_key_file"] == "<redacted>"
    assert redacted["crm"]["base_url"] == "https://crm.example/api"


def test_given_a_configuration_when_its_secret_values_are_listed_then_each_one_is_there() -> None:
    assert secret_values(_dump()) >= SECRETS


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """`configure_logging` as `helpline serve` runs it, writing to a buffer; the loggers restored after."""
    root = logging.getLogger("helpline")
    saved = (root.handlers[:], root.level, root.propagate)
    configure_logging("INFO")
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    handler.setStream(stream)
    yield stream
    root.handlers[:], root.level, root.propagate = saved


def test_given_secrets_hidden_when_a_line_or_a_traceback_holds_one_then_it_is_masked(
    log_lines: io.StringIO, tmp_path: Path
) -> None:
    hide_in_logs(secret_values(_dump()))
    logger = logging.getLogger("helpline.cti")

    logger.warning("calling the CRM with token %s", "crm-token-0123456789")
    try:
        raise RuntimeError("connect to postgresql://helpline:pg-password-42@db.example failed")
    except RuntimeError:
        logger.exception("database down")

    text = log_lines.getvalue()
    assert "calling the CRM with token ***" in text
    assert "postgresql://helpline:***@db.example failed" in text  # inside the traceback too
    assert [s for s in SECRETS if s in text] == []
