"""Kamailio's life cycle under the gateway: start, clash on the port, unexpected death, leftovers."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from pathlib import Path

import pytest

from bench.sip._scenarios import free_udp_ports, udp_port_free
from gateway.sip.kamailio import (
    KamailioFiles,
    KamailioProcess,
    KamailioStartError,
    KamailioState,
    KamailioSupervisor,
    SipAddress,
    SipLimits,
    WorkerAddress,
    render_config,
)
from tests.integration.kamailio.conftest import DOMAIN
from tests.integration.kamailio.rawsip import open_raw_sip


def _files(
    runtime_dir: Path, agents: dict[str, str], workers: int = 1, limits: SipLimits | None = None
) -> KamailioFiles:
    port = free_udp_ports(1 + workers)
    return render_config(
        listen=SipAddress("127.0.0.1", port),
        workers=[WorkerAddress(host="127.0.0.1", port=port + 1 + i, max_calls=4) for i in range(workers)],
        agents=agents,
        runtime_dir=runtime_dir,
        domain=DOMAIN,
        limits=limits,
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


async def _restarted(supervisor: KamailioSupervisor, old_pid: int, *, within: float) -> float:
    """Seconds until `supervisor` has a Kamailio other than `old_pid` answering again."""
    started = time.monotonic()
    async with asyncio.timeout(within):
        while True:
            health = await supervisor.health(within=0.5)
            if health.answers and health.pid != old_pid:
                return time.monotonic() - started
            await asyncio.sleep(0.05)


async def test_given_supervised_kamailio_when_it_dies_after_running_well_then_back_at_once_and_later_if_again(
    kamailio: str, demo_agents: dict[str, str], tmp_path: Path
) -> None:
    # Pauses long enough to tell apart from a start on a loaded machine: an immediate restart takes ~1 s.
    supervisor = KamailioSupervisor(
        _files(tmp_path / "kamailio", demo_agents), binary=kamailio, restart_delay=4.0, stable_uptime=3.0
    )
    await supervisor.start()
    try:
        await asyncio.sleep(3.5)  # ran well
        first_pid = supervisor.process.pid
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)
        single_crash = await _restarted(supervisor, first_pid, within=15)

        second_pid = supervisor.process.pid  # dies again at once: this one waits restart_delay
        assert second_pid is not None
        os.kill(second_pid, signal.SIGKILL)
        repeated_crash = await _restarted(supervisor, second_pid, within=15)
        health = await supervisor.health()
    finally:
        await supervisor.stop()

    assert single_crash < 4.0 <= repeated_crash, (single_crash, repeated_crash)
    assert (health.state, health.restarts) == (KamailioState.UP, 2)
    assert (await supervisor.health()).state is KamailioState.STOPPED


async def test_given_health_probes_beyond_the_flood_limit_when_the_same_address_sends_then_it_is_answered(
    kamailio: str, demo_agents: dict[str, str], tmp_path: Path
) -> None:
    limits = SipLimits(flood_requests=20, flood_window_seconds=5)
    files = _files(tmp_path / "kamailio", demo_agents, limits=limits)
    supervisor = KamailioSupervisor(files, binary=kamailio)
    await supervisor.start()
    try:
        probes = [(await supervisor.health()).answers for _ in range(3 * limits.flood_requests)]
        raw = await open_raw_sip(supervisor.listen.port)
        try:
            call_id = raw.new_call_id()
            raw.send(raw.options(call_id=call_id))
            after_probes = (await raw.final(call_id)).code
        finally:
            raw.close()
    finally:
        await supervisor.stop()

    assert probes == [True] * 3 * limits.flood_requests
    # both from 127.0.0.1: had the probes counted, this would be over the limit (503)
    assert after_probes == 200
