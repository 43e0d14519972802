"""The console's chart points per 15-minute interval say what the statistics API says of that interval."""

from __future__ import annotations

from gateway.acd import Event, WorkBrief
from gateway.analytics import engine_for
from gateway.config import parse_config
from gateway.supervisor import Board

CONFIG = {
    "users": [{"id": "alice", "name": "Alice", "role": "agent", "password_hash": "$argon2id$test",
               "skills": {"billing": 5}}],
    "skills": [{"id": "billing"}],
    "queues": [{"id": "billing", "name": "Billing", "channel": "chat", "skills": [{"skill": "billing"}]}],
}  # fmt: skip
T = 1_768_467_600.0  # 09:00 UTC, a quarter-hour boundary


class NoWork:
    def agent_work(self, agent_id: str) -> list[WorkBrief]:
        return []

    def waiting(self, queue_id: str, *, limit: int) -> list[WorkBrief]:
        return []


def _event(
    seq: int, at: float, kind: str, iid: str | None = None, agent: str | None = None, **data: object
) -> Event:
    return Event.from_dict(
        {"seq": seq, "type": kind, "at": T + at, "interaction_id": iid, "agent_id": agent, "data": data}
    )


def test_given_a_wait_from_one_interval_answered_in_the_next_then_the_later_point_has_its_longest_wait() -> (
    None
):
    config = parse_config(CONFIG)
    engine = engine_for(config)
    now = T + 600
    board = Board(NoWork(), engine, config, clock=lambda: now)
    for e in (
        _event(1, -300, "received", "c1", queue="billing"),  # 08:55
        _event(2, -300, "queued", "c1", queue="billing"),
        _event(3, 400, "presence_changed", None, "alice", presence={"kind": "available"}),
        _event(4, 420, "offered", "c1", "alice", queue="billing"),
        _event(5, 425, "accepted", "c1", "alice"),
        _event(6, 425, "assigned", "c1", "alice", queue="billing"),  # 09:07, after 725 s
    ):
        engine.apply(e)

    live = next(q for q in board.changes(seq=6, event_at=T)["queues"] if q["id"] == "billing")
    shown = next(q for q in board.snapshot()["queues"] if q["id"] == "billing")

    (nine,) = live["intervals"]
    assert (nine["start"], nine["offered"], nine["longest_wait_seconds"]) == (T, 0, 725.0)
    assert [(i["start"], i["longest_wait_seconds"]) for i in shown["intervals"] if i["start"] >= T - 900] == [
        (T - 900, None),  # it arrived then, and no wait ended then
        (T, 725.0),
    ]
    assert engine.queue_interval("billing", T).longest_wait_seconds == 725.0  # what the statistics API says
