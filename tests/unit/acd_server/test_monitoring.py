"""A supervisor's actions on a call reach the agent only when the configuration says so: as a `supervisor`
push on the agent's socket, and in the agent's `state` on every reconnect while the supervisor is on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from gateway.acd import Channel, NewInteraction, Presence, SupervisorAction
from gateway.acd_server import AcdServer
from gateway.config import parse_config
from gateway.metrics import Metrics
from gateway.storage import Database

CONFIG = {
    "users": [
        {"id": "alice", "name": "Alice", "role": "agent", "password_hash": "$argon2id$test",
         "skills": {"billing": 5}},
        {"id": "sam", "name": "Sam Patel", "role": "supervisor", "password_hash": "$argon2id$test"},
    ],
    "skills": [{"id": "billing"}],
    "queues": [{"id": "billing", "name": "Billing", "skills": [{"skill": "billing"}]}],
}  # fmt: skip


class Sockets:
    def __init__(self) -> None:
        self.to_alice: list[tuple[str, dict[str, Any]]] = []
        self.supervisors: list[dict[str, Any]] = []

    async def to_agent(self, agent_id: str, event: str, data: Mapping[str, Any]) -> None:
        self.to_alice.append((event, dict(data)))

    async def to_supervisors(self, event: str, data: Mapping[str, Any]) -> None:
        self.supervisors.append(dict(data))

    async def event_to_supervisors(self, data: Mapping[str, Any]) -> None:
        self.supervisors.append(dict(data))


async def _pushes(sockets: Sockets, until: str) -> list[str]:
    """What alice's socket got (a `supervisor` push by its action), once `until` is there (pushes go out on
    tasks of their own, in order per agent)."""
    async with asyncio.timeout(5):
        while until not in (got := [_label(event, data) for event, data in sockets.to_alice]):
            await asyncio.sleep(0.01)
    return got


def _label(event: str, data: dict[str, Any]) -> str:
    return str(data["data"]["action"]) if event == "supervisor" else event


def _action(action: str, **details: str) -> SupervisorAction:
    return SupervisorAction(
        actor="sam", action=action, target="c1", interaction_id="c1", agent_id="alice", details=details
    )


@pytest.fixture
async def started(tmp_path: Path) -> AsyncIterator[Callable[[bool], Any]]:
    servers: list[tuple[AcdServer, Database]] = []

    async def start(show: bool) -> tuple[AcdServer, Sockets]:
        config = parse_config({**CONFIG, "monitoring": {"show_to_agent": show}})
        database = Database(f"sqlite:///{tmp_path / f'{show}.db'}", connect_timeout=10)
        await database.start()
        sockets = Sockets()
        hub = AcdServer(config=config, database=database, metrics=Metrics(), sockets=sockets)
        await hub.start()
        servers.append((hub, database))
        await hub.set_presence("alice", Presence.available())
        await hub.enqueue(NewInteraction(id="c1", channel=Channel.VOICE, queue="billing"))
        await hub.accept("c1", "alice")
        return hub, sockets

    yield start
    for hub, database in servers:
        await hub.stop()
        await database.close()


async def test_given_monitoring_shown_when_sam_joins_switches_leaves_then_alice_is_told_and_her_state_says_so(
    started: Callable[[bool], Any],
) -> None:
    hub, sockets = await started(True)

    await hub.record_action(_action("monitor_join", mode="listen"))
    await hub.record_action(_action("monitor_mode", mode="whisper", **{"from": "listen"}))
    on_call = (await hub.agent_state("alice"))["supervisors"]
    await hub.record_action(_action("monitor_leave", reason="left"))
    after = (await hub.agent_state("alice"))["supervisors"]
    await hub.caught_up()

    assert on_call == {"c1": {"id": "sam", "name": "Sam Patel", "mode": "whisper"}}  # the panel names him
    assert after == {}
    pushed = [(d["data"]["action"], d["name"]) for e, d in sockets.to_alice if e == "supervisor"]
    assert pushed == [
        ("monitor_join", "Sam Patel"),
        ("monitor_mode", "Sam Patel"),
        ("monitor_leave", "Sam Patel"),
    ]
    assert [d["type"] for d in sockets.supervisors].count("supervisor_action") == 3
    logged = [r for r in await hub.database.events_since(0) if r.type == "supervisor_action"]
    assert [r.payload["action"] for r in logged] == ["monitor_join", "monitor_mode", "monitor_leave"]


async def test_given_monitoring_not_shown_when_sam_joins_then_alice_hears_nothing_but_the_log_has_it(
    started: Callable[[bool], Any],
) -> None:
    hub, sockets = await started(False)

    await hub.record_action(_action("monitor_join", mode="listen"))
    state = await hub.agent_state("alice")
    await hub.caught_up()

    assert state["supervisors"] == {}
    await hub.end("c1", "completed")
    assert "monitor_join" not in await _pushes(sockets, until="ended")  # the push would have come before
    assert [d["type"] for d in sockets.supervisors].count("supervisor_action") == 1
    logged = [r for r in await hub.database.events_since(0) if r.type == "supervisor_action"]
    assert [(r.payload["by"], r.interaction_id, r.agent_id) for r in logged] == [("sam", "c1", "alice")]
