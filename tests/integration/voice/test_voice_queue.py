"""Waiting in the queue: the digits pick the queue and so the agent; hanging up while waiting is an
abandon with its wait; an offer nobody answers puts the caller back in line with their original place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.acd import EventType, InteractionState
from gateway.voice import RecordingKind
from tests.integration.voice.audio import carries, read
from tests.integration.voice.conftest import AGENT_HZ, CALLER_HZ, Caller, Step

SUPPORT: list[Step] = [("pause", 1500), ("dtmf", "2")]
BILLING: list[Step] = [
    ("pause", 1500),
    ("dtmf", "1"),
    ("pause", 800),
    ("dtmf", "4"),
    ("dtmf", "2"),
    ("dtmf", "#"),
]


async def test_given_support_digit_when_both_agents_are_free_then_only_bob_is_offered_the_call(
    start_phone: Callable[..., Any], start_gateway: Callable[..., Any], caller: Caller
) -> None:
    phone = await start_phone(answer=["alice", "bob"])
    gateway = await start_gateway(phone)
    await gateway.available("alice", "bob")

    status, errors = await caller.call(gateway.port, [*SUPPORT, ("pause", 3000)])

    assert status == 0, errors
    [received] = gateway.of(EventType.RECEIVED)
    assert received.data["queue"] == "support"
    assert [e.agent_id for e in gateway.of(EventType.OFFERED)] == ["bob"]
    assert [e.agent_id for e in gateway.of(EventType.ASSIGNED)] == ["bob"]
    await phone.wait_for("confirmed 1002 1")
    assert not any(line.startswith("incoming 1001") for line in phone.lines)


async def test_given_no_agent_when_the_caller_hangs_up_while_waiting_then_it_is_abandoned_with_its_wait(
    start_phone: Callable[..., Any], start_gateway: Callable[..., Any], caller: Caller
) -> None:
    phone = await start_phone(answer=["alice", "bob"])
    gateway = await start_gateway(phone)  # nobody is available

    status, errors = await caller.call(gateway.port, [*SUPPORT, ("pause", 5000)])

    assert status == 0, errors
    [abandoned] = await gateway.wait_for(EventType.ABANDONED)
    record = await gateway.db.get_interaction(abandoned.interaction_id or "")
    assert record is not None and record.outcome == "abandoned"
    assert record.wait_seconds is not None and 4.0 < record.wait_seconds < 7.0
    assert gateway.of(EventType.OFFERED) == []


async def test_given_alices_phone_rings_unanswered_when_the_offer_times_out_then_the_caller_keeps_its_place(
    start_phone: Callable[..., Any], start_gateway: Callable[..., Any], caller: Caller
) -> None:
    phone = await start_phone(ring=["alice"], answer=["bob"])
    gateway = await start_gateway(phone)
    await gateway.available("alice")

    status, errors = await caller.call(gateway.port, [*BILLING, ("pause", 6000)])

    assert status == 0, errors
    [received] = gateway.of(EventType.RECEIVED)
    iid = received.interaction_id or ""
    [offered] = gateway.of(EventType.OFFERED)
    [timed_out] = gateway.of(EventType.TIMED_OUT)
    assert offered.agent_id == timed_out.agent_id == "alice"
    await phone.wait_for("disconnected 1001 1")  # the ringing stopped with the offer
    await gateway.wait_for(EventType.ABANDONED)  # the caller's hang-up reaches routing after SIPp ends
    queued_again = [e for e in gateway.events if e.seq > timed_out.seq and e.interaction_id == iid]
    assert [e.type for e in queued_again][-1] is EventType.ABANDONED
    [abandoned] = gateway.of(EventType.ABANDONED)
    assert abandoned.data["state"] == str(InteractionState.WAITING)
    assert abandoned.data["waited"] == abandoned.at - received.data["enqueue_time"]  # original place
    assert gateway.hub.router.agent("alice").presence.kind == "not_ready"


async def test_given_a_waiting_caller_when_they_press_the_voicemail_key_then_their_message_becomes_work(
    start_phone: Callable[..., Any], start_gateway: Callable[..., Any], caller: Caller
) -> None:
    phone = await start_phone(answer=["alice", "bob"])
    gateway = await start_gateway(phone)  # nobody is available

    status, errors = await caller.call(
        gateway.port, [*SUPPORT, ("pause", 1500), ("dtmf", "9"), ("pause", 4000)]
    )

    assert status == 0, errors
    saved = {info.kind: info for info in await gateway.wait_recordings(2)}
    received, work = await gateway.wait_for(EventType.RECEIVED, count=2)
    assert (work.data["channel"], work.data["queue"]) == ("case", "support")  # routed like any work
    assert work.data["attributes"]["kind"] == "voicemail"
    voicemail = saved[RecordingKind.VOICEMAIL]
    assert work.data["attributes"]["voicemail_url"] == f"/api/v1/recordings/{voicemail.id}"
    assert voicemail.interaction_id == work.interaction_id  # its agent may hear it
    assert voicemail.caller == "+15550100"
    assert 2.5 < voicemail.duration_s < 4.5  # 4 s after the key, less the beep
    audio, rate = read(voicemail.path)
    assert carries(audio[0], rate, CALLER_HZ, not_hz=AGENT_HZ)
    assert voicemail.path.name == "voicemail.wav" and voicemail.path.parent.name == received.interaction_id
