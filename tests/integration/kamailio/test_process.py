"""Kamailio's life cycle under the gateway: start, clash on the port, unexpected death, leftovers."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path

import pytest

from bench.sip._scenarios import free_udp_ports, udp_port_free
from gateway.sip.kamailio import (
    KamailioFiles,
    KamailioProcess,
    KamailioStartError,
    SipAddress,
    WorkerAddress,
    render_config,
)
from tests.integration.kamailio.conftest import DOMAIN


def _files(runtime_dir: Path, agents: dict[str, str], workers: int = 1) -> KamailioFiles:
    port = free_udp_ports(1 + workers)
    return render_config(
        listen=SipAddress("127.0.0.1", port),
        workers=[WorkerAddress(host="127.0.0.1", port=port + 1 + i, max_calls=4) for i in range(workers)],
        agents=agents,
        runtime_dir=runtime_dir,
        domain=DOMAIN,
    )


async def test_given_the_sip_port_is_taken_when_kamailio_starts_then_the_error_says_why(
    kamailio: str, demo_agents: dict[str, str], tmp_path: Path
) -> None:
    files = _files(tmp_path / "kamailio", demo_agents)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.1", files.listen.port))
        process = KamailioProcess(files, binary=kamailio, start_timeout=5)

        with pytest.raises(KamailioStartError) as raised:
            await process.start()

    assert "bind" in raised.value.output.lower()
    assert not process.running


async def test_given_kamailio_runs_when_it_is_killed_then_the_gateway_is_told_and_can_start_it_again(
    kamailio: str, demo_agents: dict[str, str], tmp_path: Path
) -> None:
    exits: asyncio.Queue[tuple[int, str]] = asyncio.Queue()

    async def on_exit(code: int, output: str) -> None:
        await exits.put((code, output))

    files = _files(tmp_path / "kamailio", demo_agents)
    process = KamailioProcess(files, binary=kamailio, on_exit=on_exit)
    await process.start()
    try:
        assert process.pid is not None
        os.kill(process.pid, signal.SIGKILL)
        code, _ = await asyncio.wait_for(exits.get(), timeout=5)
        assert code == -signal.SIGKILL
        assert not process.running

        await process.start()
        assert process.running
    finally:
        await process.stop()
    assert exits.empty(), "a requested stop is not reported as a death"
    assert udp_port_free(files.listen.port)


async def test_given_a_kamailio_left_over_by_a_dead_gateway_when_starting_then_it_is_replaced(
    kamailio: str, demo_agents: dict[str, str], tmp_path: Path
) -> None:
    files = _files(tmp_path / "kamailio", demo_agents)
    orphan = KamailioProcess(files, binary=kamailio)
    await orphan.start()
    replacement = KamailioProcess(files, binary=kamailio)
    try:
        await replacement.start()

        assert replacement.running and not orphan.running
        assert replacement.pid != orphan.pid
    finally:
        await replacement.stop()
        await orphan.stop()
    assert udp_port_free(files.listen.port)


async def test_given_more_workers_than_sip_branches_when_kamailio_starts_then_it_runs(
    kamailio: str, demo_agents: dict[str, str], tmp_path: Path
) -> None:
    # 100 workers of 3 calls (the 2.15 wheel's limit) for 300 calls: tm takes at most 30 branches.
    files = _files(tmp_path / "kamailio", demo_agents, workers=100)
    process = KamailioProcess(files, binary=kamailio, start_timeout=10)
    try:
        await process.start()

        assert process.running
    finally:
        await process.stop()
