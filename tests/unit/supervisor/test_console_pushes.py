"""What the console's live side pushes to supervisors, wired as the app wires it (the routing server's
published batches, the board over the one metrics engine): a change after a quiet spell goes out at once,
changes under load at most once per window, a queue whose agents only changed state sends its
agents-by-state alone, and the whole board goes out again at local midnight."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from gateway.acd import Channel, NewInteraction, Presence
from gateway.acd_server import AcdServer
from gateway.config import parse_config
from gateway.metrics import Metrics
from gateway.storage import Database
from gateway.supervisor import Board, Console

CONFIG = {
    "users": [
        {"id": "alice", "name": "Alice", "role": "agent", "password_hash": "$argon2id$test",
         "skills": {"billing": 5, "sales": 5}},
        {"id": "bob", "name": "Bob", "role": "agent", "password_hash": "$argon2id$test",
         "skills": {"billing": 5}},
    ],
    "skills": [{"id": "billing"}, {"id": "sales"}],
    "queues": [
        {"id": "billing", "name": "Billing", "channel": "chat", "skills": [{"skill": "billing"}]},
        {"id": "sales", "name": "Sales", "channel": "chat", "skills": [{"skill": "sales"}],
         "wrap_up_seconds": 30},
    ],
}  # fmt: skip
WINDOW = 1.0  # the longest the console allows: a push that waited for it would be plain to see


class Supervisors:
    """The supervisors' sockets: what was pushed, and when by the loop's clock."""

    def __init__(self) -> None:
        self.pushed: list[tuple[float, dict[str, Any]]] = []
        self.boards: list[dict[str, Any]] = []  # the whole board, pushed again (a new day)
        self.clock: list[dict[str, Any]] = []  # figures the clock alone moved

    async def to_supervisors(self, event: str, data: Mapping[str, Any]) -> None:
        assert event in ("board_changes", "board", "board_clock")
        if event == "board":
            self.boards.append(dict(data))
        elif event == "board_clock":
            self.clock.append(dict(data))
        else:
            self.pushed.append((asyncio.get_running_loop().time(), dict(data)))

    async def until(self, wanted: Callable[[dict[str, Any]], bool]) -> int:
        """How many pushes went out up to the first that is `wanted`."""
        async with asyncio.timeout(5):
            while not any(wanted(c) for _, c in self.pushed):
                await asyncio.sleep(0.01)
        return next(n + 1 for n, (_, c) in enumerate(self.pushed) if wanted(c))

    async def pushes(self, count: int) -> list[tuple[float, dict[str, Any]]]:
        async with asyncio.timeout(5):
            while len(self.pushed) < count:
                await asyncio.sleep(0.01)
        return self.pushed


@pytest.fixture
async def wired(tmp_path: Path) -> AsyncIterator[tuple[AcdServer, Supervisors]]:
    async with _wired(tmp_path, time.time) as (hub, supervisors, _):
        yield hub, supervisors


@asynccontextmanager
async def _wired(
    tmp_path: Path, clock: Callable[[], float], *, clock_every: float = 30.0
) -> AsyncIterator[tuple[AcdServer, Supervisors, Console]]:
    """The app's wiring; the board reads `clock` (the routing server and the loop keep real time)."""
    config = parse_config(CONFIG)
    database = Database(f"sqlite:///{tmp_path / 'console.db'}", connect_timeout=10)
    await database.start()
    hub = AcdServer(config=config, database=database, metrics=Metrics())
    await hub.start()
    supervisors = Supervisors()
    board = Board(hub, hub.stats.engine, config, clock=clock)
    console = Console(board, supervisors, window=WINDOW, clock_every=clock_every)
    hub.watch(console.saw)
    try:
        yield hub, supervisors, console
    finally:
        await console.close()
        await hub.stop()
        await database.close()


async def test_given_a_quiet_console_when_alice_becomes_available_then_her_queues_get_agents_by_state_alone(
    wired: tuple[AcdServer, Supervisors],
) -> None:
    hub, supervisors = wired
    published = asyncio.get_running_loop().time()

    await hub.set_presence("alice", Presence.available())
    ((at, changes),) = await supervisors.pushes(1)

    assert at - published < WINDOW / 2  # at once, not after the window
    # billing: alice and bob serve it, bob is still offline; sales: alice alone
    assert changes["queues"] == [
        {"id": "billing", "agents": {"available": 1, "offline": 1}},
        {"id": "sales", "agents": {"available": 1}},
    ]
    assert [(a["id"], a["state"]) for a in changes["agents"]] == [("alice", "available")]


async def test_given_a_push_just_went_when_a_chat_arrives_then_it_waits_the_window_with_the_queues_figures(
    wired: tuple[AcdServer, Supervisors],
) -> None:
    hub, supervisors = wired
    await hub.set_presence("bob", Presence.not_ready("lunch"))
    await supervisors.pushes(1)

    await hub.enqueue(NewInteraction(id="c1", channel=Channel.CHAT, queue="billing"))
    (first_at, _), (at, changes) = await supervisors.pushes(2)

    assert at - first_at >= WINDOW - 0.01  # at most one push per window
    (billing,) = changes["queues"]  # nobody's state changed: sales is not in it
    assert (billing["id"], billing["offered"], billing["waiting"]) == ("billing", 1, 1)
    assert [w["id"] for w in billing["work"]] == ["c1"]
    assert billing["agents"] == {"not_ready": 1, "offline": 1}
    assert [i["offered"] for i in billing["intervals"]] == [1]  # the current interval only
    assert changes["agents"] == []


async def test_given_alice_in_wrap_up_when_it_ends_then_her_queues_figures_count_the_work_handled(
    wired: tuple[AcdServer, Supervisors],
) -> None:
    hub, supervisors = wired
    await hub.set_presence("alice", Presence.available())
    await hub.enqueue(NewInteraction(id="c1", channel=Channel.CHAT, queue="sales"))
    await hub.accept("c1", "alice")
    await hub.end("c1", "completed")
    assert str(hub.router.agent("alice").presence.kind) == "wrap_up"
    pushed = await supervisors.until(
        lambda c: ("alice", "wrap_up") in [(a["id"], a["state"]) for a in c["agents"]]
    )

    await hub.set_presence("alice", Presence.available())  # done with her wrap-up early
    *_, (_, changes) = await supervisors.pushes(pushed + 1)

    sales = next(q for q in changes["queues"] if q["id"] == "sales")
    assert sales.get("aht_seconds") is not None  # not her agents-by-state alone: the handled work's AHT


async def test_given_a_console_when_local_midnight_passes_then_the_whole_board_goes_out_for_the_new_day(
    tmp_path: Path,
) -> None:
    midnight = (int(time.time()) // 86_400 + 1) * 86_400  # the configured zone is UTC
    offset = 0.0
    async with _wired(tmp_path, lambda: time.time() + offset) as (_hub, supervisors, console):
        offset = midnight - 1.5 - time.time()  # the board's clock: 1.5 s before midnight, once wired
        yesterday = (await console.board())["day_start"]
        async with asyncio.timeout(6.5):
            while not supervisors.boards:
                await asyncio.sleep(0.05)

    (board,) = supervisors.boards
    assert (yesterday, board["day_start"]) == (midnight - 86_400, midnight)
    assert [q["id"] for q in board["queues"]] == ["billing", "sales"]
    assert [a["id"] for a in board["agents"]] == ["alice", "bob"]


async def test_given_alice_idle_after_a_chat_when_an_hour_passes_with_no_event_then_her_occupancy_falls(
    tmp_path: Path,
) -> None:
    offset = 0.0
    async with _wired(tmp_path, lambda: time.time() + offset, clock_every=0.2) as (hub, supervisors, _):
        await hub.set_presence("alice", Presence.available())
        await hub.enqueue(NewInteraction(id="c1", channel=Channel.CHAT, queue="billing"))
        await hub.accept("c1", "alice")
        await asyncio.sleep(0.3)  # 0.3 s of work
        await hub.end("c1", "completed")  # billing has no wrap-up: she is available, idle
        await supervisors.until(lambda c: any(a["id"] == "alice" and a["handled_today"] for a in c["agents"]))
        alice = [a for _, c in supervisors.pushed for a in c["agents"] if a["id"] == "alice"][-1]
        seen = len(supervisors.clock)

        offset = 3600.0  # an hour later, and not one event
        async with asyncio.timeout(5):
            while len(supervisors.clock) < seen + 2:
                await asyncio.sleep(0.05)

    assert (
        alice["occupancy_percent"] > 5
    )  # what her last event showed: 0.3 s of work in her first second or so
    (later,) = [a for a in supervisors.clock[-1]["agents"] if a["id"] == "alice"]
    assert 0 < later["occupancy_percent"] < 0.1  # ~0.3 s of work in an hour
    assert "bob" not in [a["id"] for a in supervisors.clock[-1]["agents"]]  # offline: nothing moves
