"""The reference event log, written by hand: one morning of queue `support` (Europe/Paris), from 09:50:00
local time (T0) to 10:05:00 (NOW), across the 10:00 interval boundary.

    t (s)  what happens
      0    alice and bob become available
     10    c1 arrives; offered to alice
     14    alice answers c1 (waited 4 s: within the 20 s threshold)
     20    c2 arrives; offered to bob
     23    c2 abandons while ringing (waited 3 s: a short abandon under the 5 s cut-off)
     25    bob goes not ready (lunch)
     30    c3 arrives, nobody free
     70    c3 abandons (waited 40 s: after the threshold)
     74    alice transfers c1 (talk 48 s + hold 12 s); wrap-up until 84
     84    alice's wrap-up ends (c1: wrap-up 10 s)
     90    bob is back (available)
    100    c4 arrives; offered to bob
    120    bob misses c4 (the offer rings out): not ready (missed); c4 offered to alice
    130    alice answers c4 (waited 30 s: outside the threshold)
    600    -- 10:00, the 15-minute interval boundary: bob is still not ready (missed) --
    650    c5 arrives, nobody free
    656    c5 abandons (waited 6 s: neither short nor after the threshold)
    700    bob is available again
    730    alice ends c4 (talk 600 s); wrap-up until 740
    735    alice ends her wrap-up early: available (c4: wrap-up 5 s)
    800    c6 arrives, nobody free; still waiting at NOW
    900    NOW
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from gateway.acd import JSON, Event

__all__ = ["NOW", "T0", "TZ", "at", "reference_log"]

TZ = "Europe/Paris"
T0 = datetime(2026, 1, 15, 9, 50, tzinfo=ZoneInfo(TZ)).timestamp()
NOW = T0 + 900


def at(t: float) -> float:
    return T0 + t


def _presence(kind: str, reason: str | None = None, until: float | None = None) -> dict[str, JSON]:
    return {"kind": kind, "reason": reason, "until": None if until is None else at(until)}


def reference_log() -> list[Event]:
    rows: list[tuple[float, str, str | None, str | None, dict[str, JSON]]] = []

    def add(t: float, kind: str, iid: str | None = None, agent: str | None = None, **data: JSON) -> None:
        rows.append((t, kind, iid, agent, data))

    def presence(t: float, agent: str, now: dict[str, JSON], before: dict[str, JSON], cause: str) -> None:
        add(t, "presence_changed", None, agent, presence=now, previous=before, cause=cause)

    def arrives(t: float, iid: str) -> None:
        add(t, "received", iid, queue="support", channel="voice", enqueue_time=at(t), priority=0)
        add(t, "queued", iid, queue="support")

    offline, available = _presence("offline"), _presence("available")
    presence(0, "alice", available, offline, "agent")
    presence(0, "bob", available, offline, "agent")
    arrives(10, "c1")
    add(10, "offered", "c1", "alice", queue="support", deadline=at(30))
    add(14, "accepted", "c1", "alice", waited=4.0)
    add(14, "assigned", "c1", "alice", queue="support")
    arrives(20, "c2")
    add(20, "offered", "c2", "bob", queue="support", deadline=at(40))
    add(23, "abandoned", "c2", "bob", queue="support", waited=3.0, state="offered")
    presence(25, "bob", _presence("not_ready", "lunch"), available, "agent")
    arrives(30, "c3")
    add(70, "abandoned", "c3", None, queue="support", waited=40.0, state="waiting")
    add(74, "ended", "c1", "alice", queue="support", reason="transferred", wrap_up=True, hold_seconds=12.0)
    presence(74, "alice", _presence("wrap_up", until=84), available, "wrap_up")
    add(84, "wrap_up_ended", None, "alice")
    presence(90, "bob", available, _presence("not_ready", "lunch"), "agent")
    arrives(100, "c4")
    add(100, "offered", "c4", "bob", queue="support", deadline=at(120))
    add(120, "timed_out", "c4", "bob", queue="support")
    presence(120, "bob", _presence("not_ready", "missed"), available, "missed_offer")
    add(120, "offered", "c4", "alice", queue="support", deadline=at(140))
    add(130, "accepted", "c4", "alice", waited=30.0)
    add(130, "assigned", "c4", "alice", queue="support")
    arrives(650, "c5")
    add(656, "abandoned", "c5", None, queue="support", waited=6.0, state="waiting")
    presence(700, "bob", available, _presence("not_ready", "missed"), "agent")
    add(730, "ended", "c4", "alice", queue="support", reason="completed", wrap_up=True)
    presence(730, "alice", _presence("wrap_up", until=740), available, "wrap_up")
    presence(735, "alice", available, _presence("wrap_up", until=740), "agent")
    arrives(800, "c6")
    return [
        Event.from_dict(
            {"seq": n, "type": kind, "at": at(t), "interaction_id": iid, "agent_id": agent, "data": data}
        )
        for n, (t, kind, iid, agent, data) in enumerate(rows, start=1)
    ]
