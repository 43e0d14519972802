"""A caller reaches a media worker, hears the prompt and keys digits; the gateway sees exactly those."""

from __future__ import annotations

from gateway.sip import Disconnected, Dtmf, DtmfMethod, Incoming, Load, MediaEnded, Ready
from tests.integration.sip.conftest import INFO_DIGITS, RFC4733_DIGITS, PoolFactory, Sipp


async def test_given_a_worker_when_a_caller_keys_digits_then_the_gateway_gets_exactly_those_digits(
    start_pool: PoolFactory, sipp_caller: Sipp
) -> None:
    async with start_pool(1) as pool:
        status, errors = await sipp_caller.run(sipp_caller.scenario("ivr_caller.xml"), pool.port(0))

        assert status == 0, errors
        [incoming] = pool.events.of(Incoming)
        assert isinstance(incoming, Incoming)
        assert ("X-Helpline-Test", "ivr") in incoming.headers
        assert "caller@127.0.0.1" in incoming.from_uri
        digits = [(e.digit, e.method) for e in pool.events.of(Dtmf) if isinstance(e, Dtmf)]
        assert digits == [(d, DtmfMethod.RFC4733) for d in RFC4733_DIGITS] + [
            (d, DtmfMethod.SIP_INFO) for d in INFO_DIGITS
        ]
        assert [e.call_id for e in pool.events.of(Dtmf) if isinstance(e, Dtmf)] == [incoming.call_id] * 4


async def test_given_a_prompt_when_it_has_played_then_media_ended_comes_before_the_callers_hangup(
    start_pool: PoolFactory, sipp_caller: Sipp
) -> None:
    async with start_pool(1) as pool:
        status, errors = await sipp_caller.run(
            sipp_caller.scenario("ivr_caller.xml", hold_ms=3500), pool.port(0)
        )

        assert status == 0, errors
        # SIPp can exit on the 200 to its BYE before the worker's events have reached the pool.
        idle = Load(active=0, limit=pool.pool.status()[0].limit)
        await pool.events.wait_for(lambda _, e: pool.events.of(Load).count(idle) == 2)  # at start, at the end
        kinds = [type(e) for _, e in pool.events.items if isinstance(e, MediaEnded | Disconnected)]
        assert kinds == [MediaEnded, Disconnected]
        [ready] = pool.events.of(Ready)
        assert isinstance(ready, Ready) and ready.limit >= 2
        assert pool.events.of(Load)[-1] == Load(active=0, limit=ready.limit)
