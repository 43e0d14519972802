"""A supervisor's phone on an agent's call, from the voice service's side: the supervisor hanging up leaves
the call as it was, the call ending hangs up the supervisor, a full media worker has no room for them, and a
request their phone never answers is audited."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.acd import EventType
from gateway.voice import MonitorMode, NoRoomForSupervisor, NotMonitoring, RecordingKind
from tests.integration.sip.conftest import need
from tests.integration.voice.audio import level_at, peak_level, read
from tests.integration.voice.conftest import AGENT_HZ, CALLER_HZ, Caller

SUPERVISOR_HZ = 1900  # no sum of multiples of the other two tones: never made up by their intermodulation
SUPPORT_CALL = [("pause", 1500), ("dtmf", "2")]  # the menu's support queue: bob


@pytest.fixture
def supervisor_tone(tmp_path: Path) -> Path:
    path = tmp_path / "supervisor.wav"
    subprocess.run(
        [need("sox", "sox"), "-n", "-r", "16000", "-c", "1", "-b", "16", str(path), "synth", "10", "sine",
         str(SUPERVISOR_HZ), "vol", "0.3"],
        check=True,
    )  # fmt: skip
    return path


async def test_given_sam_barged_in_when_he_hangs_up_rejoins_and_caller_leaves_then_call_went_on_then_ended(
    start_phone: Callable[..., Any], start_gateway: Callable[..., Any], caller: Caller, supervisor_tone: Path
) -> None:
    phone = await start_phone(answer=["bob"])
    sam_phone = await start_phone(answer=["sam"], play=supervisor_tone)
    gateway = await start_gateway(phone, user_uri=sam_phone.uri)
    await gateway.available("bob")
    call = asyncio.create_task(caller.call(gateway.port, [*SUPPORT_CALL, ("pause", 24000)]))  # room for load
    [assigned] = await gateway.wait_for(EventType.ASSIGNED)
    iid = assigned.interaction_id or ""

    joined = await gateway.voice.monitor(iid, "sam", MonitorMode.BARGE)
    await sam_phone.wait_for("confirmed 2001 1")
    await asyncio.sleep(2.0)
    await sam_phone.send("hangup 1")  # sam leaves from his phone
    await sam_phone.wait_for("disconnected 2001 1")
    await gateway.wait_for(EventType.SUPERVISOR_ACTION, count=2)
    await asyncio.sleep(0.5)
    with pytest.raises(NotMonitoring):
        await gateway.voice.monitor_mode(iid, "sam", MonitorMode.LISTEN)  # he is no longer on the call
    await gateway.voice.monitor(iid, "sam", MonitorMode.LISTEN)  # and joins again, to listen
    await sam_phone.wait_for("confirmed 2001 2")
    await gateway.voice.hold(iid)  # bob holds the caller: sam stays on the line
    await asyncio.sleep(1.0)
    on_hold = await gateway.voice.monitoring(iid)
    await gateway.voice.resume(iid)
    status, errors = await call  # the caller hangs up with sam still on the line

    assert status == 0, errors
    await sam_phone.wait_for("disconnected 2001 2")  # the call ending took sam's leg with it
    assert (joined.agent_id, joined.connected) == ("bob", False)  # his phone was still ringing
    assert on_hold is not None and (on_hold.mode, on_hold.connected) == (MonitorMode.LISTEN, True)
    logged = await gateway.wait_for(EventType.SUPERVISOR_ACTION, count=4)
    audits = [(e.data["action"], e.data["details"]) for e in logged]
    assert audits == [
        ("monitor_join", {"mode": "barge"}),
        ("monitor_leave", {"reason": "hung_up"}),
        ("monitor_join", {"mode": "listen"}),
        ("monitor_leave", {"reason": "call_ended"}),
    ]
    [ended] = await gateway.wait_for(EventType.ENDED)
    assert ended.data["reason"] == "completed"  # the caller's hang-up ended it, not sam's
    heard, rate = read(phone.heard("1002", 1))  # bob heard the caller throughout, sam only while barging
    assert peak_level(heard[0], rate, CALLER_HZ) > 0.08 and peak_level(heard[0], rate, SUPERVISOR_HZ) > 0.08
    saved = {info.kind: info for info in await gateway.wait_recordings(3)}
    agent_side, rate = read(saved[RecordingKind.AGENT].path)  # the recording has bob's voice, not sam's
    assert (
        level_at(agent_side[0], rate, AGENT_HZ) > 0.02
        and level_at(agent_side[0], rate, SUPERVISOR_HZ) < 0.006
    )


async def test_given_a_worker_full_with_the_call_when_sam_asks_to_listen_then_no_room_and_the_call_goes_on(
    start_phone: Callable[..., Any], start_gateway: Callable[..., Any], caller: Caller, supervisor_tone: Path
) -> None:
    phone = await start_phone(answer=["bob"])
    sam_phone = await start_phone(answer=["sam"], play=supervisor_tone)
    gateway = await start_gateway(phone, user_uri=sam_phone.uri, worker_args=["--max-calls", "2"])
    await gateway.available("bob")
    call = asyncio.create_task(caller.call(gateway.port, [*SUPPORT_CALL, ("pause", 3000)]))
    [assigned] = await gateway.wait_for(EventType.ASSIGNED)

    with pytest.raises(NoRoomForSupervisor, match="no call slot left"):
        await gateway.voice.monitor(assigned.interaction_id or "", "sam", MonitorMode.LISTEN)
    status, errors = await call

    assert status == 0, errors
    assert not any(line.startswith("incoming") for line in sam_phone.lines)
    assert gateway.of(EventType.SUPERVISOR_ACTION) == []


async def test_given_a_supervisor_phone_that_refuses_when_sam_asks_to_listen_then_the_request_is_audited(
    start_phone: Callable[..., Any], start_gateway: Callable[..., Any], caller: Caller
) -> None:
    phone = await start_phone(answer=["bob"])
    sam_phone = await start_phone(busy=["sam"])
    gateway = await start_gateway(phone, user_uri=sam_phone.uri)
    await gateway.available("bob")
    call = asyncio.create_task(caller.call(gateway.port, [*SUPPORT_CALL, ("pause", 6000)]))
    [assigned] = await gateway.wait_for(EventType.ASSIGNED)
    iid = assigned.interaction_id or ""

    await gateway.voice.monitor(iid, "sam", MonitorMode.LISTEN)
    [refused] = await gateway.wait_for(EventType.SUPERVISOR_ACTION)
    assert await gateway.voice.monitoring(iid) is None  # nobody is listening
    status, errors = await call  # and the call goes on to its end

    assert status == 0, errors
    assert (refused.data["by"], refused.data["action"], refused.data["details"]) == (
        "sam",
        "monitor_unanswered",
        {"mode": "listen", "reason": "phone did not answer (SIP 486)"},
    )
    [ended] = await gateway.wait_for(EventType.ENDED)
    assert ended.data["reason"] == "completed"
