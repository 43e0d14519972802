"""The routing server's read model of what waits in each queue, folded from the router's own events."""

from __future__ import annotations

from gateway.acd import Channel, Event, NewInteraction, Presence, Router
from gateway.acd_server import WaitingWork
from gateway.config import agent_specs, parse_config, queue_specs

CONFIG = {
    "users": [
        {"id": "alice", "name": "Alice", "role": "agent", "password_hash": "$argon2id$test",
         "skills": {"billing": 5}},
    ],
    "skills": [{"id": "billing"}, {"id": "sales"}],
    "queues": [
        {"id": "billing", "name": "Billing", "channel": "chat", "skills": [{"skill": "billing"}]},
        {"id": "sales", "name": "Sales", "channel": "chat", "skills": [{"skill": "sales"}]},
    ],
}  # fmt: skip


def _follow(work: WaitingWork, router: Router, events: list[Event]) -> None:
    for event in events:
        work.follow(event, router.interaction(event.interaction_id or "") if work.entered(event) else None)


def test_given_chats_in_two_queues_when_one_is_answered_then_the_rest_wait_oldest_first() -> None:
    config = parse_config(CONFIG)
    router = Router(queues=queue_specs(config), agents=agent_specs(config))
    work = WaitingWork(q.id for q in config.queues)
    for n, (iid, queue) in enumerate(
        [("c1", "billing"), ("c2", "sales"), ("c3", "billing"), ("c4", "billing")]
    ):
        _follow(
            work, router, router.enqueue(NewInteraction(id=iid, queue=queue, channel=Channel.CHAT), 100.0 + n)
        )
    assert (work.oldest("billing", 2), work.oldest("sales", 5)) == (["c1", "c3"], ["c2"])

    _follow(work, router, router.set_presence("alice", Presence.available(), 110.0))  # c1 rings at alice
    assert work.oldest("billing", 5) == ["c1", "c3", "c4"]  # ringing work is still listed
    _follow(work, router, router.accept("c1", "alice", 111.0))

    assert work.oldest("billing", 5) == ["c3", "c4"]
    assert dict(work.members("billing")) == {"c3": 102.0, "c4": 103.0}
    assert work.oldest("nowhere", 5) == []
