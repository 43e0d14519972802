"""Session-wide real services: a PostgreSQL server (unless HELPLINE_TEST_POSTGRES_URL names one)."""

from __future__ import annotations

import os

import pytest

from tests.services import Service, start_postgres

_started: list[Service] = []


def pytest_configure(config: pytest.Config) -> None:
    # Started here, before collection, because storage tests are parametrised over the backends
    # that exist. Only the controlling process starts it.
    if os.environ.get("HELPLINE_TEST_POSTGRES_URL") or os.environ.get("HELPLINE_TEST_NO_POSTGRES"):
        return
    service = start_postgres()
    _started.append(service)
    os.environ["HELPLINE_TEST_POSTGRES_URL"] = service.url


def pytest_unconfigure(config: pytest.Config) -> None:
    while _started:
        _started.pop().stop()
