"""A worker killed mid-call: the pool reports its lost calls, replaces it, and nothing else is disturbed."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time

import pytest

from gateway.sip import Event, Ready, WorkerPool
from tests.integration.sip.conftest import Pool, PoolFactory, Sipp, calls_on_two_workers, free_udp_ports


async def test_given_two_workers_when_one_is_killed_mid_call_then_its_calls_are_lost_and_a_new_worker_answers(
    start_pool: PoolFactory, sipp_caller: Sipp
) -> None:
    async with start_pool(2) as pool:
        doomed, bystander, doomed_call, old_pid = await calls_on_two_workers(
            pool, sipp_caller, bystander_ms=4000
        )

        os.kill(old_pid, signal.SIGKILL)
        async with asyncio.timeout(15):
            await pool.events.wait_for(lambda w, e: w == 0 and len(pool.events.of(Ready, worker_id=0)) == 2)
            await pool.pool.wait_ready()

        assert pool.lost == [(0, (doomed_call.call_id,))]
        restarted = pool.pool.status()[0]
        assert (restarted.restarts, restarted.port, restarted.ready) == (1, pool.port(0), True)
        assert restarted.pid not in (None, old_pid)
        assert len(pool.events.of(Ready, worker_id=0)) == 2
        status, errors = await sipp_caller.run(
            sipp_caller.scenario("ivr_caller.xml", hold_ms=500), pool.port(0)
        )
        assert status == 0, errors
        _, bystander_err = await bystander.communicate()
        assert bystander.returncode == 0, bystander_err.decode() + sipp_caller.errors()
        assert pool.pool.status()[1].restarts == 0
        doomed.kill()
        await doomed.wait()


async def test_given_a_worker_when_it_dies_then_it_is_replaced_at_once_and_only_a_repeat_crash_waits(
    start_pool: PoolFactory,
) -> None:
    async with start_pool(1, restart_delay=4.0, max_restart_delay=8.0) as pool:
        first = await _kill_and_time_replacement(pool, readies=2)
        second = await _kill_and_time_replacement(pool, readies=3)

        assert first < 3.5, f"a single crash waited {first:.1f} s for its replacement"
        assert second >= 4.0, f"a second crash in a row was replaced after {second:.1f} s, without back-off"
        assert pool.pool.status()[0].restarts == 2


async def _kill_and_time_replacement(pool: Pool, *, readies: int) -> float:
    pid = pool.pool.status()[0].pid
    assert pid is not None
    killed = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    await pool.events.wait_for(lambda w, e: len(pool.events.of(Ready, worker_id=0)) == readies, within=20)
    return time.monotonic() - killed


async def test_given_a_taken_port_when_the_pool_starts_then_it_fails_and_leaves_nothing_running() -> None:
    base = free_udp_ports(1)
    events: list[Event] = []
    lost: list[tuple[int, tuple[str, ...]]] = []

    async def on_event(_: int, event: Event) -> None:
        events.append(event)

    async def on_worker_lost(worker_id: int, call_ids: tuple[str, ...]) -> None:
        lost.append((worker_id, call_ids))

    pool = WorkerPool(
        size=1,
        base_port=base,
        on_event=on_event,
        on_worker_lost=on_worker_lost,
        start_timeout=3.0,
        restart_delay=0.2,
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.1", base))
        with pytest.raises(TimeoutError):
            await pool.start()

    [status] = pool.status()
    assert (status.ready, status.pid) == (False, None)
    assert status.restarts >= 1
    assert (events, lost) == ([], [(0, ())] * len(lost))
