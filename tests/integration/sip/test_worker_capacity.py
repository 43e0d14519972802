"""A full worker refuses calls with 503 + Retry-After and keeps carrying the calls it has."""

from __future__ import annotations

from gateway.sip import Disconnected, Load, Rejected
from tests.integration.sip.conftest import PoolFactory, Sipp


async def test_given_a_full_worker_when_more_calls_arrive_then_they_get_503_and_the_worker_carries_on(
    start_pool: PoolFactory, sipp_caller: Sipp
) -> None:
    async with start_pool(1, "--max-calls", "2") as pool:
        [status_before] = pool.pool.status()
        assert status_before.limit == 2
        held = await sipp_caller.start(
            sipp_caller.scenario("ivr_caller.xml", hold_ms=6000), pool.port(0), calls=2, concurrent=2
        )
        await pool.events.wait_for(lambda _, e: e == Load(active=2, limit=2))

        refused_status, refused_errors = await sipp_caller.run(
            sipp_caller.scenario("refused_caller.xml"), pool.port(0), calls=3
        )
        _, held_stderr = await held.communicate()

        assert refused_status == 0, refused_errors
        assert [(e.code, e.reason) for e in pool.events.of(Rejected) if isinstance(e, Rejected)] == [
            (503, "Service Unavailable")
        ] * 3
        assert held.returncode == 0, held_stderr.decode() + sipp_caller.errors()
        # SIPp is done once it has its 200 for the BYE; the worker reports each hang-up just after, then its
        # load (the status is read from that Load event)
        await pool.events.wait_idle(hang_ups=2)
        assert len(pool.events.of(Disconnected)) == 2
        [status_after] = pool.pool.status()
        assert (status_after.pid, status_after.restarts, status_after.active) == (status_before.pid, 0, 0)

        again, errors = await sipp_caller.run(
            sipp_caller.scenario("ivr_caller.xml", hold_ms=500), pool.port(0)
        )
        assert again == 0, errors
