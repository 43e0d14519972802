"""Kamailio's routing: failover between workers, and workers' calls to agents' registered phones."""

from __future__ import annotations

import time

from gateway.sip import CallState, Dialing, Disconnected, Hangup, Incoming, Load, MakeCall, Rejected, State
from tests.integration.kamailio.conftest import FrontFactory, Sipp
from tests.integration.sip.conftest import free_udp_ports


async def test_given_a_full_worker_when_a_call_arrives_then_kamailio_moves_it_to_the_next_worker(
    start_front: FrontFactory, sipp_run: Sipp
) -> None:
    async with start_front(2, "--max-calls", "1") as front:
        # Held straight on worker 0, so Kamailio does not know it is full: only its 503 tells.
        held = await sipp_run.start(
            sipp_run.scenario("caller.xml", hold_ms=5000), "-s", "held", target=front.worker_port(0)
        )
        await front.events.wait_for(lambda w, e: w == 0 and e == Load(active=1, limit=1))

        status, errors = await sipp_run.run(
            sipp_run.scenario("caller.xml", hold_ms=500), "-s", "support", target=front.port
        )

        assert status == 0, errors
        [refused] = front.events.of(Rejected, 0)
        [moved] = front.events.of(Incoming, 1)
        assert isinstance(refused, Rejected) and isinstance(moved, Incoming)
        assert (refused.code, refused.sip_call_id) == (503, moved.sip_call_id)
        held_status, held_errors = await sipp_run.finish(held)
        assert held_status == 0, held_errors


async def test_given_a_silent_worker_when_a_call_arrives_then_it_moves_on_within_the_failover_time(
    start_front: FrontFactory, sipp_run: Sipp
) -> None:
    async with start_front(1, dead_workers=1) as front:
        started = time.monotonic()
        status, errors = await sipp_run.run(
            sipp_run.scenario("caller.xml", hold_ms=200), "-s", "support", target=front.port
        )
        first = time.monotonic() - started
        started = time.monotonic()
        again, again_errors = await sipp_run.run(
            sipp_run.scenario("caller.xml", hold_ms=200), "-s", "support", target=front.port
        )
        second = time.monotonic() - started

        assert (status, again) == (0, 0), errors + again_errors
        assert len(front.events.of(Incoming, 0)) == 2
        assert 2.0 <= first < 5.0, f"first call took {first:.1f} s (2 s failover expected)"
        assert second < 2.0, f"second call took {second:.1f} s: the silent worker should be skipped"


async def test_given_a_registered_phone_when_a_worker_calls_its_agent_then_the_call_connects(
    start_front: FrontFactory, sipp_run: Sipp, demo_agents: dict[str, str]
) -> None:
    async with start_front(1) as front:
        phone_port = free_udp_ports(1)
        phone = await sipp_run.start(sipp_run.scenario("agent_phone.xml"), port=phone_port)
        await sipp_run.register(
            front, "1001", demo_agents["1001"], contact=f"127.0.0.1:{phone_port}", expect=200
        )

        await front.pool.send(0, MakeCall(uri=f"sip:1001@127.0.0.1:{front.port}", command_id="to-alice"))
        dialing = await front.events.wait_for(
            lambda _, e: isinstance(e, Dialing) and e.command_id == "to-alice"
        )
        assert isinstance(dialing, Dialing)
        await front.events.wait_for(
            lambda _, e: e == State(call_id=dialing.call_id, state=CallState.CONFIRMED)
        )
        await front.pool.send(0, Hangup(call_id=dialing.call_id))
        await front.events.wait_for(lambda _, e: isinstance(e, Disconnected) and e.call_id == dialing.call_id)

        status, errors = await sipp_run.finish(phone)
        assert status == 0, errors


async def test_given_agents_without_phones_when_a_worker_calls_them_then_the_call_fails_with_480_or_404(
    start_front: FrontFactory,
) -> None:
    async with start_front(1) as front:
        for user, command_id in (("1002", "to-bob"), ("4242", "to-nobody")):
            await front.pool.send(
                0, MakeCall(uri=f"sip:{user}@127.0.0.1:{front.port}", command_id=command_id)
            )

        codes = {}
        for command_id in ("to-bob", "to-nobody"):
            dialing = await front.events.wait_for(
                lambda _, e, c=command_id: isinstance(e, Dialing) and e.command_id == c
            )
            assert isinstance(dialing, Dialing)
            ended = await front.events.wait_for(
                lambda _, e, c=dialing.call_id: isinstance(e, Disconnected) and e.call_id == c
            )
            assert isinstance(ended, Disconnected)
            codes[command_id] = ended.code
        assert codes == {"to-bob": 480, "to-nobody": 404}
