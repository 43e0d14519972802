"""The agent's panel controls a connected call: hold plays music to the caller, a blind transfer to a queue
ends the agent's interaction as transferred and brings the caller to the next agent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from gateway.acd import EventType
from gateway.voice import CallNotFoundError, RecordingKind
from tests.integration.voice.audio import carries, read, silent_runs
from tests.integration.voice.conftest import AGENT_HZ, CALLER_HZ, Caller
from tests.integration.voice.test_voice_main_path import BILLING_CALL


async def test_given_bob_on_a_call_when_he_holds_and_transfers_to_billing_then_alice_gets_the_caller(
    start_phone: Callable[..., Any], start_gateway: Callable[..., Any], caller: Caller
) -> None:
    phone = await start_phone(answer=["alice", "bob"])
    gateway = await start_gateway(phone)
    await gateway.available("alice", "bob")
    call = asyncio.create_task(caller.call(gateway.port, [("pause", 1500), ("dtmf", "2"), ("pause", 11000)]))

    [assigned] = await gateway.wait_for(EventType.ASSIGNED)
    first = assigned.interaction_id or ""
    await asyncio.sleep(1.0)
    await gateway.voice.hold(first)
    with pytest.raises(CallNotFoundError):
        await gateway.voice.hold(first)  # already on hold
    await asyncio.sleep(1.0)
    await gateway.voice.resume(first)
    await gateway.voice.transfer(first, "queue:billing")
    second = await gateway.wait_for(EventType.ASSIGNED, count=2)
    status, errors = await call

    assert status == 0, errors
    assert [e.agent_id for e in second] == ["bob", "alice"]
    ended = {e.interaction_id: e.data["reason"] for e in await gateway.wait_for(EventType.ENDED, count=2)}
    assert ended == {first: "transferred", second[1].interaction_id: "completed"}
    await phone.wait_for("disconnected 1002 1")
    saved = {info.kind: info for info in await gateway.wait_recordings(3)}
    assert (
        saved[RecordingKind.AGENT].interaction_id == first
    )  # the call's recordings follow its first interaction
    audio, rate = read(saved[RecordingKind.AGENT].path)
    assert carries(audio[0], rate, AGENT_HZ, not_hz=CALLER_HZ)


async def test_given_a_connected_call_when_the_recording_is_paused_then_both_legs_keep_the_gap_as_silence(
    start_phone: Callable[..., Any], start_gateway: Callable[..., Any], caller: Caller
) -> None:
    phone = await start_phone(answer=["alice", "bob"])
    gateway = await start_gateway(phone)
    await gateway.available("alice", "bob")
    steps = [*BILLING_CALL[:-1], ("pause", 9000)]
    call = asyncio.create_task(caller.call(gateway.port, steps))

    [assigned] = await gateway.wait_for(EventType.ASSIGNED)
    iid = assigned.interaction_id or ""
    await asyncio.sleep(1.5)
    await gateway.voice.pause_recording(iid)
    await asyncio.sleep(2.0)
    await gateway.voice.resume_recording(iid)
    status, errors = await call

    assert status == 0, errors
    saved = {info.kind: info for info in await gateway.wait_recordings(3)}
    agent_audio, agent_rate = read(saved[RecordingKind.AGENT].path)
    agent_gaps = [(a, b) for a, b in silent_runs(agent_audio[0], agent_rate) if b - a > 0.5]
    assert len(agent_gaps) == 1 and 1.5 < agent_gaps[0][1] - agent_gaps[0][0] < 3.0, agent_gaps
    assert carries(agent_audio[0], agent_rate, AGENT_HZ, not_hz=CALLER_HZ)  # recorded before and after
    caller_audio, rate = read(saved[RecordingKind.CALLER].path)
    caller_gaps = [(a, b) for a, b in silent_runs(caller_audio[0], rate) if b - a > 0.5]
    assert len(caller_gaps) == 2, caller_gaps  # the sensitive entry, then the pause
    assert 1.5 < caller_gaps[1][1] - caller_gaps[1][0] < 3.0, caller_gaps
