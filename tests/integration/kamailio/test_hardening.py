"""Hostile SIP through Kamailio and straight to a media worker's port (its SIP guard): packets that abort
pjsua, a mutation fuzz, floods and password guessing."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import time

from gateway.sip import CallState, Incoming, State
from gateway.sip.kamailio import SipLimits
from tests.integration.kamailio.conftest import Front, FrontFactory, GatewayLog, Sipp
from tests.integration.kamailio.rawsip import CRASHING_SDP_BODIES, RawSip, mutate, open_raw_sip

# Everything in these tests comes from 127.0.0.1: the flood limit is raised where it is not under test.
NO_FLOOD = SipLimits(flood_requests=100_000)
FUZZ_DATAGRAMS = 2000  # the "Done when": 2,000 mutated datagrams
# Bytes the gateway's log (Kamailio's relayed lines included) may grow by during one fuzz: what is refused
# is logged rate-limited, not one line or three per datagram (200 refused INVITEs once wrote 61 KB).
LOG_GROWTH_BOUND = 30_000


def _pids(front: Front) -> list[int | None]:
    return [status.pid for status in front.pool.status()]


def _restarts(front: Front) -> int:
    return sum(status.restarts for status in front.pool.status())


async def test_given_invites_that_abort_pjsua_when_sent_to_kamailio_then_each_gets_400_and_no_worker_dies(
    start_front: FrontFactory,
) -> None:
    async with start_front(2, limits=NO_FLOOD, answer_only="support") as front:
        pids = _pids(front)
        raw = await open_raw_sip(front.port)
        try:
            codes = {}
            for name, body in CRASHING_SDP_BODIES.items():
                call_id = raw.new_call_id()
                raw.send(raw.invite(body, call_id=call_id))
                codes[name] = (await raw.final(call_id)).code
            call_id = raw.new_call_id()
            raw.send(raw.invite(call_id=call_id, cseq=2**32 - 1))
            codes["CSeq 2^32-1"] = (await raw.final(call_id)).code
            call_id = raw.new_call_id()
            raw.send(raw.invite(call_id=call_id, cseq=2**31 - 1, user="fuzz"))
            codes["CSeq 2^31-1, a worker's own 486"] = (await raw.final(call_id)).code
        finally:
            raw.close()

        assert codes == {
            "no c= and a port of 99999999": 400,
            "200 m= lines": 400,
            "binary garbage": 400,
            "CSeq 2^32-1": 400,
            "CSeq 2^31-1, a worker's own 486": 486,
        }
        assert (_pids(front), _restarts(front)) == (pids, 0)


async def test_given_a_mutation_fuzz_when_two_callers_then_call_both_workers_answer_with_pids_unchanged(
    start_front: FrontFactory, sipp_run: Sipp, gateway_log: GatewayLog
) -> None:
    async with start_front(2, limits=NO_FLOOD, answer_only="support") as front:
        pids = _pids(front)
        log_before = gateway_log.size()
        raw = await open_raw_sip(front.port)
        try:
            await _fuzz(raw, random.Random(14), FUZZ_DATAGRAMS)
            # A request both workers ignore is given up after 2 x 2 s; until then it counts in their load.
            await asyncio.sleep(6)
        finally:
            raw.close()
        grown = gateway_log.size() - log_before
        before = len(front.events.of(Incoming))

        calls = [
            await sipp_run.start(
                sipp_run.scenario("caller.xml", hold_ms=2000), "-s", "support", target=front.port
            )
            for _ in range(2)
        ]
        results = [await sipp_run.finish(call) for call in calls]

        assert [status for status, _ in results] == [0, 0], "".join(errors for _, errors in results)
        answered = [
            w for w, e in front.events.items[before:] if isinstance(e, Incoming) and "support" in e.to_uri
        ]
        # Both workers still in the dispatcher's set: neither was marked inactive by a bad request.
        assert sorted(answered) == [0, 1]
        assert (_pids(front), _restarts(front)) == (pids, 0)
        assert grown <= LOG_GROWTH_BOUND, f"{grown} bytes:\n{gateway_log.text()[-5000:]}"
        await front.kamailio.stop()  # what was left out is told, at the latest when Kamailio stops
        told = re.search(r"WARNING .* (\d+) lines of kamailio's INFO <script> suppressed", gateway_log.text())
        assert told is not None and int(told[1]) > FUZZ_DATAGRAMS // 4, gateway_log.text()[-5000:]


async def _fuzz(raw: RawSip, rng: random.Random, count: int) -> None:
    for index in range(count):
        raw.send(mutate(raw.invite(call_id=raw.new_call_id(), user="fuzz"), rng))
        if index % 10 == 9:
            await asyncio.sleep(0.02)  # keep under the loopback socket's buffer with the 64 KB ones


async def test_given_invites_that_abort_pjsua_when_sent_straight_to_a_worker_then_its_guard_answers_400(
    start_front: FrontFactory, sipp_run: Sipp
) -> None:
    async with start_front(1, limits=NO_FLOOD, answer_only="support") as front:
        pids = _pids(front)
        raw = await open_raw_sip(front.worker_port(0))
        try:
            codes = {}
            for name, body in CRASHING_SDP_BODIES.items():
                call_id = raw.new_call_id()
                raw.send(raw.invite(body, call_id=call_id))
                codes[name] = (await raw.final(call_id)).code
            call_id = raw.new_call_id()
            raw.send(raw.invite(call_id=call_id, cseq=2**32 - 1))
            codes["CSeq 2^32-1"] = (await raw.final(call_id)).code
            call_id = raw.new_call_id()
            raw.send(raw.invite(call_id=call_id, user="fuzz"))
            codes["a good INVITE, refused by the test's call handler"] = (await raw.final(call_id)).code
        finally:
            raw.close()
        status, errors = await sipp_run.run(
            sipp_run.scenario("caller.xml", hold_ms=500), "-s", "support", target=front.port
        )

        assert codes == {
            "no c= and a port of 99999999": 400,
            "200 m= lines": 400,
            "binary garbage": 400,
            "CSeq 2^32-1": 400,
            "a good INVITE, refused by the test's call handler": 486,
        }
        assert status == 0, errors
        assert (_pids(front), _restarts(front)) == (pids, 0)


async def test_given_a_mutation_fuzz_straight_to_each_worker_when_two_callers_then_call_both_answer(
    start_front: FrontFactory, sipp_run: Sipp, gateway_log: GatewayLog
) -> None:
    async with start_front(2, limits=NO_FLOOD, answer_only="support") as front:
        pids = _pids(front)
        log_before = gateway_log.size()
        for worker_id in (0, 1):
            raw = await open_raw_sip(front.worker_port(worker_id))
            try:
                await _fuzz(raw, random.Random(14 + worker_id), FUZZ_DATAGRAMS)
                # Then a good INVITE, once the guard's pace (7 new calls a second) allows one again.
                await asyncio.sleep(1.5)
                call_id = raw.new_call_id()
                raw.send(raw.invite(call_id=call_id, user="fuzz"))
                assert (await raw.final(call_id, within=20)).code == 486
            finally:
                raw.close()
        grown = gateway_log.size() - log_before
        before = len(front.events.of(Incoming))

        calls = [
            await sipp_run.start(
                sipp_run.scenario("caller.xml", hold_ms=2000), "-s", "support", target=front.port
            )
            for _ in range(2)
        ]
        results = [await sipp_run.finish(call) for call in calls]

        assert [status for status, _ in results] == [0, 0], "".join(errors for _, errors in results)
        answered = [
            w for w, e in front.events.items[before:] if isinstance(e, Incoming) and "support" in e.to_uri
        ]
        assert sorted(answered) == [0, 1]
        assert (_pids(front), _restarts(front)) == (pids, 0)
        assert grown <= LOG_GROWTH_BOUND, f"{grown} bytes:\n{gateway_log.text()[-5000:]}"


async def test_given_password_guessing_when_the_limit_is_reached_then_the_user_is_blocked_for_a_while(
    start_front: FrontFactory, demo_agents: dict[str, str]
) -> None:
    # a 10 s block: the 200 guesses and two more registrations all land inside it on a loaded machine
    limits = SipLimits(flood_requests=100_000, auth_failures_per_user=5, auth_block_seconds=10)
    async with start_front(1, limits=limits) as front:
        raw = await open_raw_sip(front.port)
        try:
            guesses = [await raw.register_with("1001", f"guess-{n}") for n in range(200)]
            right_while_blocked = await raw.register_with("1001", demo_agents["1001"])
            other_user = await raw.register_with("1002", demo_agents["1002"])
            blocked_at = time.monotonic()
            # htable expires items on a one-second timer, in whole seconds: up to 2 s late.
            await asyncio.sleep(limits.auth_block_seconds + 2.5)
            right_after_block = await raw.register_with("1001", demo_agents["1001"])
        finally:
            raw.close()

        reasons = [(g.code, g.reason) for g in guesses]
        assert reasons[:5] == [(403, "Forbidden")] * 5
        assert reasons[5:] == [(403, "Too many failed attempts")] * 195
        assert (right_while_blocked.code, right_while_blocked.reason) == (403, "Too many failed attempts")
        assert other_user.code == 200
        assert right_after_block.code == 200, (
            f"{right_after_block} after {time.monotonic() - blocked_at:.1f} s"
        )


async def test_given_guesses_on_many_users_from_one_address_when_the_limit_is_reached_then_it_is_blocked(
    start_front: FrontFactory, demo_agents: dict[str, str]
) -> None:
    limits = SipLimits(
        flood_requests=100_000, auth_failures_per_user=100, auth_failures_per_address=6, auth_block_seconds=60
    )
    async with start_front(1, limits=limits) as front:
        raw = await open_raw_sip(front.port)
        try:
            guesses = [
                await raw.register_with(user, "wrong-password") for user in ["1001", "1002", "9999"] * 3
            ]
            right = await raw.register_with("1002", demo_agents["1002"])
        finally:
            raw.close()

        assert [g.code for g in guesses] == [403] * 9
        assert [g.reason for g in guesses[6:]] == ["Too many failed attempts"] * 3
        assert (right.code, right.reason) == (403, "Too many failed attempts")


async def test_given_a_flood_from_one_address_when_over_the_limit_then_it_gets_503_until_it_slows_down(
    start_front: FrontFactory,
) -> None:
    limits = SipLimits(flood_requests=20, flood_window_seconds=1)
    async with start_front(1, limits=limits) as front:
        raw = await open_raw_sip(front.port)
        try:
            codes = []
            for _ in range(100):
                call_id = raw.new_call_id()
                raw.send(raw.options(call_id=call_id))
                codes.append((await raw.final(call_id)).code)
            await asyncio.sleep(3 * limits.flood_window_seconds)
            call_id = raw.new_call_id()
            raw.send(raw.options(call_id=call_id))
            after_pause = (await raw.final(call_id)).code
        finally:
            raw.close()

        assert set(codes) == {200, 503}
        assert codes.count(200) <= 2 * limits.flood_requests, codes
        assert codes[-1] == 503
        assert after_pause == 200


async def test_given_an_answered_call_when_its_worker_dies_then_the_caller_gets_a_bye_and_others_can_call(
    start_front: FrontFactory, sipp_run: Sipp
) -> None:
    async with start_front(1) as front:
        caller = await sipp_run.start(
            sipp_run.scenario("caller_hung_up_on.xml", wait_ms=15_000), "-s", "support", target=front.port
        )
        await front.events.wait_for(lambda _, e: isinstance(e, State) and e.state is CallState.CONFIRMED)
        pid = front.pool.status()[0].pid
        assert pid is not None

        os.kill(pid, signal.SIGKILL)
        status, errors = await sipp_run.finish(caller)

        assert status == 0, errors
        await front.pool.wait_ready()
        again, again_errors = await sipp_run.run(
            sipp_run.scenario("caller.xml", hold_ms=500), "-s", "support", target=front.port
        )
        assert again == 0, again_errors
