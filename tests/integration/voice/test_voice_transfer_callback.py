"""Blind transfers to an agent and to a number, and the callback exit: real calls from SIPp, the agents'
pjsua2 phone, and a SIPp UAS as the phone network behind the trunk (it echoes what it hears)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from gateway.acd import EventType, InteractionState
from gateway.voice import RecordingKind
from tests.integration.voice.audio import carries, read
from tests.integration.voice.conftest import AGENT_HZ, CALLER_HZ, Caller, Gateway, Trunk

TO_SUPPORT = [("pause", 1500), ("dtmf", "2")]


async def _ended(gateway: Gateway, count: int) -> dict[str, str]:
    ended = await gateway.wait_for(EventType.ENDED, count=count)
    return {e.interaction_id or "": str(e.data["reason"]) for e in ended}


async def test_given_bob_on_a_call_when_he_transfers_to_alice_then_her_phone_rings_and_she_hears_the_caller(
    start_phone: Callable[..., Any], start_gateway: Callable[..., Any], caller: Caller
) -> None:
    phone = await start_phone(answer=["alice", "bob"])
    gateway = await start_gateway(phone)
    await gateway.available("alice", "bob")
    call = asyncio.create_task(caller.call(gateway.port, [*TO_SUPPORT, ("pause", 9000)]))

    [assigned] = await gateway.wait_for(EventType.ASSIGNED)
    await phone.wait_for("confirmed 1002 1")
    await gateway.voice.transfer(assigned.interaction_id or "", "agent:alice")
    both = await gateway.wait_for(EventType.ASSIGNED, count=2)
    status, errors = await call

    assert status == 0, errors
    assert [e.agent_id for e in both] == ["bob", "alice"]
    assert await _ended(gateway, 2) == {
        assigned.interaction_id: "transferred",
        both[1].interaction_id: "completed",
    }
    await phone.wait_for("disconnected 1001 2")
    heard, rate = read(phone.heard("1001", 2))
    assert carries(heard[0], rate, CALLER_HZ, not_hz=AGENT_HZ)  # alice hears the caller
    saved = {info.kind: info for info in await gateway.wait_recordings(3)}
    agent, rate = read(saved[RecordingKind.AGENT].path)
    assert carries(agent[0][-3 * rate :], rate, AGENT_HZ, not_hz=CALLER_HZ)  # and the gateway hears her


async def test_given_bob_on_a_call_when_he_transfers_to_a_number_then_the_trunk_is_called_and_bridged(
    start_phone: Callable[..., Any],
    start_gateway: Callable[..., Any],
    start_trunk: Callable[..., Any],
    caller: Caller,
) -> None:
    phone = await start_phone(answer=["bob"])
    trunk = await start_trunk()
    gateway = await start_gateway(phone, dial_uri=trunk.dial_uri)
    await gateway.available("bob")
    call = asyncio.create_task(caller.call(gateway.port, [*TO_SUPPORT, ("pause", 9000)]))

    [assigned] = await gateway.wait_for(EventType.ASSIGNED)
    await phone.wait_for("confirmed 1002 1")
    await gateway.voice.transfer(assigned.interaction_id or "", "+442079460000")
    status, errors = await call
    requests = await trunk.finished()

    assert status == 0, errors
    assert requests[0] == f"INVITE sip:+442079460000@127.0.0.1:{trunk.port} SIP/2.0"
    assert requests[-1].startswith("BYE ")  # the caller hung up: the gateway ended the trunk's call
    assert await _ended(gateway, 1) == {assigned.interaction_id: "transferred"}
    await phone.wait_for("disconnected 1002 1")
    saved = {info.kind: info for info in await gateway.wait_recordings(3)}
    far_end, rate = read(saved[RecordingKind.AGENT].path)
    # The trunk echoes what reaches it: the caller's tone coming back proves the bridge both ways.
    assert carries(far_end[0][-3 * rate : -rate // 2], rate, CALLER_HZ, not_hz=AGENT_HZ)
    assert len(gateway.of(EventType.RECEIVED)) == 1


async def test_given_a_caller_who_chose_a_callback_when_bob_accepts_then_their_number_is_dialled_and_bridged(
    start_phone: Callable[..., Any],
    start_gateway: Callable[..., Any],
    start_trunk: Callable[..., Any],
    caller: Caller,
) -> None:
    phone = await start_phone(answer=["bob"])
    trunk = await start_trunk()
    gateway = await start_gateway(phone, dial_uri=trunk.dial_uri)  # nobody is available yet

    steps = [*TO_SUPPORT, ("pause", 1500), ("dtmf", "8"), ("pause", 800)]
    status, errors = await caller.call(gateway.port, steps)

    assert status == 0, errors
    [received] = gateway.of(EventType.RECEIVED)
    iid = received.interaction_id or ""
    view = gateway.hub.router.interaction(iid)
    assert view is not None and view.state is InteractionState.WAITING  # hung up, still in line
    assert gateway.of(EventType.ABANDONED) == []

    await gateway.available("bob")
    [assigned] = await gateway.wait_for(EventType.ASSIGNED)
    assert (assigned.interaction_id, assigned.agent_id) == (iid, "bob")
    await phone.wait_for("confirmed 1002 1")
    await _hang_up_once_connected(gateway, trunk, iid)
    requests = await trunk.finished()

    assert requests[0] == f"INVITE sip:+15550100@127.0.0.1:{trunk.port} SIP/2.0"
    assert await _ended(gateway, 1) == {iid: "completed"}
    await phone.wait_for("disconnected 1002 1")
    heard, rate = read(phone.heard("1002", 1))
    assert carries(heard[0], rate, AGENT_HZ, not_hz=CALLER_HZ)  # bob's voice, back from the customer
    saved = {info.kind: info for info in await gateway.wait_recordings(3)}
    customer, rate = read(saved[RecordingKind.CALLER].path)
    assert carries(customer[0], rate, AGENT_HZ, not_hz=CALLER_HZ)


async def _hang_up_once_connected(gateway: Gateway, trunk: Trunk, interaction_id: str) -> None:
    """The agent hangs up from the panel after a moment of talk with the customer."""
    await trunk.answered()
    await asyncio.sleep(2.5)
    await gateway.voice.hang_up(interaction_id)
