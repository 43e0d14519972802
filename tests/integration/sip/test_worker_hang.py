"""A worker that stops answering (SIGSTOP stands in for a pjsua deadlock) is found by the pool's heartbeat,
killed and replaced on its port; its calls are reported lost and the other worker's call goes on."""

from __future__ import annotations

import asyncio
import logging
import os
import signal

import pytest

from gateway.sip import Ready
from tests.integration.sip.conftest import PoolFactory, Sipp, calls_on_two_workers

PING_INTERVAL, PING_TIMEOUT = 0.5, 2.5  # the healthy worker must not miss one on a loaded machine


async def test_given_a_stopped_worker_with_a_call_when_pings_go_unanswered_then_it_is_replaced_and_call_lost(
    start_pool: PoolFactory, sipp_caller: Sipp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="helpline.sip")
    async with start_pool(2, ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT) as pool:
        hung, bystander, hung_call, old_pid = await calls_on_two_workers(pool, sipp_caller, bystander_ms=5000)

        os.kill(old_pid, signal.SIGSTOP)
        try:
            async with asyncio.timeout(15):
                await pool.events.wait_for(lambda w, _: len(pool.events.of(Ready, worker_id=0)) == 2)
                await pool.pool.wait_ready()
        finally:
            hung.kill()
            await hung.wait()

        assert pool.lost == [(0, (hung_call.call_id,))]
        replaced = pool.pool.status()[0]
        assert (replaced.restarts, replaced.port, replaced.ready) == (1, pool.port(0), True)
        assert replaced.pid not in (None, old_pid)
        why = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert why == [
            f"media worker 0 (pid {old_pid}) did not answer a ping within {PING_TIMEOUT:g} s: "
            "killing it (1 call(s) up)"
        ]
        status, errors = await sipp_caller.run(
            sipp_caller.scenario("ivr_caller.xml", hold_ms=500), pool.port(0)
        )
        assert status == 0, errors
        _, bystander_err = await bystander.communicate()
        assert bystander.returncode == 0, bystander_err.decode() + sipp_caller.errors()
        assert pool.pool.status()[1].restarts == 0
