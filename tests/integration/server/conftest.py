"""A real `helpline serve` process per test module, on a free port, with its own data directory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from tests.services import free_port

DEMO = Path(__file__).parents[3] / "gateway" / "demo" / "helpline.yaml"


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    log: Path
    data_dir: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_server(
    tmp: Path, *, config: Path = DEMO, extra: tuple[str, ...] = (), sip_port: int | None = None
) -> Server:
    """A server without its SIP front unless `sip_port` is given (SIP has its own tests)."""
    port = free_port()
    sip = ("--sip-port", str(sip_port)) if sip_port else ("--no-sip",)
    data_dir = tmp / "data"
    log = tmp / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.detect_blocking",
                "serve",
                "--config",
                str(config),
                "--http-port",
                str(port),
                "--data-dir",
                str(data_dir),
                *sip,
                *extra,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=Path(__file__).parents[3],
        )
    server = Server(base=f"http://127.0.0.1:{port}", process=process, log=log, data_dir=data_dir)
    _wait_healthy(server)
    return server


def _wait_healthy(server: Server, timeout: float = 60.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(f"server exited with {server.process.returncode}:\n{server.log_text()}")
        try:
            with urllib.request.urlopen(server.base + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    # a server that never came up must not outlive the test (nor warn later from Popen.__del__)
    stop_server(server)
    raise RuntimeError(f"server not healthy within {timeout} s:\n{server.log_text()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@contextmanager
def serving(server: Server) -> Iterator[Server]:
    """A started server for a fixture to yield: afterwards it must still be alive, and it is stopped."""
    try:
        yield server
        assert server.alive(), "the server died during the tests:\n" + server.log_text()
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(start_server(tmp_path_factory.mktemp("server"))) as srv:
        yield srv


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def login(http: aiohttp.ClientSession, server: Server, user: str, password: str | None = None) -> str:
    async with http.post(
        server.base + "/api/v1/auth/login", json={"username": user, "password": password or f"{user}-demo"}
    ) as response:
        assert response.status == 200, await response.text()
        body = await response.json()
        return str(body["token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def set_presence(
    http: aiohttp.ClientSession, server: Server, token: str, states: dict[str, str]
) -> None:
    """Put agents in these states over REST (a supervisor's token for anyone's)."""
    for agent, state in states.items():
        async with http.put(
            f"{server.base}/api/v1/agents/{agent}/presence", json={"state": state}, headers=bearer(token)
        ) as r:
            assert r.status == 200, await r.text()
