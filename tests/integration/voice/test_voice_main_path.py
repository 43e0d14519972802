"""A caller keys through the IVR, waits, the right agent's phone rings and answers, both are bridged and
recorded; a sensitive entry leaves silence in the caller's recording, not the digits' audio."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.acd import EventType
from gateway.voice import RecordingKind
from tests.integration.voice.audio import carries, read, silent_runs
from tests.integration.voice.conftest import AGENT_HZ, CALLER_HZ, Caller, Step

BILLING_CALL: list[Step] = [
    ("pause", 1500),
    ("dtmf", "1"),  # menu: billing (barges in on the prompt)
    ("pause", 1000),
    ("dtmf", "4"),  # sensitive account number: 4 2 #
    ("dtmf", "2"),
    ("dtmf", "#"),
    ("pause", 7000),  # queue, the agent's phone rings and answers, then they talk
]


async def test_given_billing_digits_when_alice_answers_then_the_call_is_bridged_and_recorded_on_both_legs(
    start_phone: Callable[..., Any], start_gateway: Callable[..., Any], caller: Caller
) -> None:
    phone = await start_phone(answer=["alice", "bob"])
    gateway = await start_gateway(phone)
    await gateway.available("alice", "bob")

    status, errors = await caller.call(gateway.port, BILLING_CALL)

    assert status == 0, errors
    [received] = gateway.of(EventType.RECEIVED)
    assert received.data["queue"] == "billing"
    assert "account" not in received.data["attributes"]  # the sensitive entry stays out of routing
    iid = received.interaction_id
    assert [(e.interaction_id, e.agent_id) for e in gateway.of(EventType.OFFERED)] == [(iid, "alice")]
    assert [e.agent_id for e in gateway.of(EventType.ASSIGNED)] == ["alice"]
    [ended] = await gateway.wait_for(EventType.ENDED)
    assert ended.data["reason"] == "completed"

    saved = {info.kind: info for info in await gateway.wait_recordings(3)}
    assert set(saved) == {RecordingKind.CALLER, RecordingKind.AGENT, RecordingKind.STEREO}
    assert {info.interaction_id for info in saved.values()} == {iid}

    caller_audio, rate = read(saved[RecordingKind.CALLER].path)
    assert carries(caller_audio[0], rate, CALLER_HZ, not_hz=AGENT_HZ)
    agent_audio, agent_rate = read(saved[RecordingKind.AGENT].path)
    assert carries(agent_audio[0], agent_rate, AGENT_HZ, not_hz=CALLER_HZ)
    heard, heard_rate = read(phone.heard("1001"))
    assert carries(heard[0], heard_rate, CALLER_HZ, not_hz=AGENT_HZ)  # the agent heard the caller

    stereo, stereo_rate = read(saved[RecordingKind.STEREO].path)
    joined = int(
        (saved[RecordingKind.AGENT].started_at - saved[RecordingKind.CALLER].started_at).total_seconds()
        * stereo_rate
    )
    assert carries(stereo[0][joined:], stereo_rate, CALLER_HZ, not_hz=AGENT_HZ)
    assert carries(stereo[1][joined:], stereo_rate, AGENT_HZ, not_hz=CALLER_HZ)

    gaps = [(a, b) for a, b in silent_runs(caller_audio[0], rate) if b - a > 0.5]
    assert len(gaps) == 1, gaps  # the sensitive entry, and only it
    start, end = gaps[0]
    assert 1.0 < start < 3.5 and 0.8 < end - start < 3.0, gaps

    record = await gateway.db.get_interaction(iid)
    assert record is not None and record.outcome == "completed" and record.agent_id == "alice"
