"""A worker killed mid-call: the pool reports its lost calls, replaces it, and nothing else is disturbed."""

from __future__ import annotations

import asyncio
import os
import signal
import socket

import pytest

from gateway.sip import CallState, Event, Incoming, Ready, State, WorkerPool
from tests.integration.sip.conftest import PoolFactory, Predicate, Sipp, free_udp_ports


def _confirmed(worker_id: int) -> Predicate:
    return lambda w, e: w == worker_id and isinstance(e, State) and e.state is CallState.CONFIRMED


async def test_given_two_workers_when_one_is_killed_mid_call_then_its_calls_are_lost_and_a_new_worker_answers(
    start_pool: PoolFactory, sipp_caller: Sipp
) -> None:
    async with start_pool(2) as pool:
        doomed = await sipp_caller.start(sipp_caller.scenario("ivr_caller.xml", hold_ms=30_000), pool.port(0))
        bystander = await sipp_caller.start(
            sipp_caller.scenario("ivr_caller.xml", hold_ms=4000), pool.port(1)
        )
        await pool.events.wait_for(_confirmed(0))
        await pool.events.wait_for(_confirmed(1))
        [doomed_call] = pool.events.of(Incoming, worker_id=0)
        assert isinstance(doomed_call, Incoming)
        old_pid = pool.pool.status()[0].pid
        assert old_pid is not None

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
