"""A media worker's SIP guard as a process: it lives and dies with its worker."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from tests.integration.sip.conftest import PoolFactory, Sipp


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


async def test_given_a_worker_whose_guard_is_killed_when_a_caller_then_calls_a_new_worker_and_guard_answer(
    start_pool: PoolFactory, sipp_caller: Sipp
) -> None:
    async with start_pool(1, restart_delay=0.2) as pool:
        [before] = pool.pool.status()
        assert before.pid is not None
        [guard] = await asyncio.to_thread(_children, before.pid)

        os.kill(guard, signal.SIGKILL)
        async with asyncio.timeout(20):
            while pool.pool.status()[0].restarts == 0 or not pool.pool.status()[0].ready:
                await asyncio.sleep(0.1)
        status, errors = await sipp_caller.run(
            sipp_caller.scenario("ivr_caller.xml", hold_ms=500), pool.port(0)
        )

        [after] = pool.pool.status()
        assert after.pid is not None and after.pid != before.pid
        assert after.restarts == 1
        assert pool.lost == [(0, ())]
        assert status == 0, errors
        assert len(await asyncio.to_thread(_children, after.pid)) == 1
