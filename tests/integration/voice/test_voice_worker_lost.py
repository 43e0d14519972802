"""A media worker dies under a call: a connected call ends as `media_worker_lost`; a queued caller leaves the
queue for the same reason, which the metrics do not count as the customer abandoning."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from typing import Any

import yaml

from gateway.acd import Event, EventType
from gateway.analytics import engine_for
from gateway.config import parse_config
from tests.integration.voice.conftest import CONFIG, Caller, Gateway


async def test_given_a_connected_call_when_its_worker_dies_then_the_interaction_ends_as_worker_lost(
    start_phone: Callable[..., Any], start_gateway: Callable[..., Any], caller: Caller
) -> None:
    phone = await start_phone(answer=["alice", "bob"])
    gateway = await start_gateway(phone)
    await gateway.available("bob")
    assigned, ended = await _worker_killed(gateway, caller, once=EventType.ASSIGNED, then=EventType.ENDED)

    assert ended.interaction_id == assigned.interaction_id
    assert ended.data["reason"] == "media_worker_lost"
    record = await gateway.db.get_interaction(assigned.interaction_id or "")
    assert record is not None and record.outcome == "media_worker_lost"


async def test_given_a_queued_caller_when_their_worker_dies_then_the_call_leaves_as_lost_not_abandoned(
    start_phone: Callable[..., Any], start_gateway: Callable[..., Any], caller: Caller
) -> None:
    phone = await start_phone(answer=[])
    gateway = await start_gateway(phone)  # no agent is available: the caller waits in `support`
    queued, exited = await _worker_killed(gateway, caller, once=EventType.QUEUED, then=EventType.EXITED)
    # The metrics engine folds the same events the wallboard, REST and reports read.
    engine = engine_for(parse_config(yaml.safe_load(CONFIG)))
    for event in gateway.events:
        engine.apply(event)
    figures = engine.queue("support", exited.at)

    assert exited.interaction_id == queued.interaction_id
    assert (exited.data["reason"], exited.data["kind"]) == ("media_worker_lost", "disconnect")
    assert gateway.of(EventType.ABANDONED) == []
    assert (figures.abandoned, figures.exited) == (0, 1)


async def _worker_killed(
    gateway: Gateway, caller: Caller, *, once: EventType, then: EventType
) -> tuple[Event, Event]:
    """A SIPp caller presses 2 (support); once the call's `once` event is logged its media worker is killed
    (SIGKILL); the `then` event that follows, with the `once` one."""
    sipp = await caller.start(
        gateway.port, [("pause", 1500), ("dtmf", "2"), ("pause", 30000)], max_seconds=40
    )
    try:
        [before] = await gateway.wait_for(once)
        pid = gateway.pool.status()[0].pid
        assert pid is not None

        os.kill(pid, signal.SIGKILL)
        [after] = await gateway.wait_for(then)
    finally:
        with contextlib.suppress(ProcessLookupError):
            sipp.kill()
        await sipp.wait()
    return before, after
