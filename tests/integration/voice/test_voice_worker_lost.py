"""A media worker dies in the middle of a connected call: the interaction ends as `media_worker_lost`
and the agent is free for the next call after wrap-up."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from typing import Any

from gateway.acd import EventType
from tests.integration.voice.conftest import Caller


async def test_given_a_connected_call_when_its_worker_dies_then_the_interaction_ends_as_worker_lost(
    start_phone: Callable[..., Any], start_gateway: Callable[..., Any], caller: Caller
) -> None:
    phone = await start_phone(answer=["alice", "bob"])
    gateway = await start_gateway(phone)
    await gateway.available("bob")
    sipp = await caller.start(
        gateway.port, [("pause", 1500), ("dtmf", "2"), ("pause", 30000)], max_seconds=40
    )
    try:
        [assigned] = await gateway.wait_for(EventType.ASSIGNED)
        pid = gateway.pool.status()[0].pid
        assert pid is not None

        os.kill(pid, signal.SIGKILL)
        [ended] = await gateway.wait_for(EventType.ENDED)
    finally:
        with contextlib.suppress(ProcessLookupError):
            sipp.kill()
        await sipp.wait()

    assert ended.interaction_id == assigned.interaction_id
    assert ended.data["reason"] == "media_worker_lost"
    record = await gateway.db.get_interaction(assigned.interaction_id or "")
    assert record is not None and record.outcome == "media_worker_lost"
