"""One running server for the fuzzers, with login limits too high to get in the schema fuzzer's way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.integration.server.conftest import DEMO, Server, http, start_server, stop_server

__all__ = ["http"]  # the server tests' client session fixture


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("fuzzed")
    config = yaml.safe_load(DEMO.read_text())
    config.setdefault("server", {})["login_limits"] = {
        "failures_per_user": 1000,
        "failures_per_address": 100_000,
    }
    path: Path = folder / "helpline.yaml"
    path.write_text(yaml.safe_dump(config))
    server = start_server(folder, config=path)
    yield server
    stop_server(server)
