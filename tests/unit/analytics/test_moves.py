"""A supervisor's move is not an overflow: the router's own events for one of each, folded by the engine."""

from __future__ import annotations

from gateway.acd import Channel, NewInteraction, Router
from gateway.analytics import engine_for
from gateway.config import agent_specs, parse_config, queue_specs

T0 = 1_700_000_000.0
CONFIG = {
    "users": [{"id": "alice", "name": "Alice", "role": "agent", "password_hash": "$argon2id$test",
               "skills": {"billing": 5}}],
    "skills": [{"id": "billing"}, {"id": "sales"}],
    "queues": [
        {"id": "billing", "name": "Billing", "channel": "chat", "skills": [{"skill": "billing"}],
         "max_wait": {"seconds": 30, "exit": {"action": "overflow", "queue": "sales"}}},
        {"id": "sales", "name": "Sales", "channel": "chat", "skills": [{"skill": "sales"}]},
    ],
}  # fmt: skip


def test_given_one_chat_moved_and_one_overflowed_then_billing_counts_one_move_and_one_overflow() -> None:
    config = parse_config(CONFIG)
    router = Router(queues=queue_specs(config), agents=agent_specs(config))
    engine = engine_for(config)
    events = router.enqueue(NewInteraction(id="c1", queue="billing", channel=Channel.CHAT), T0)
    events += router.enqueue(NewInteraction(id="c2", queue="billing", channel=Channel.CHAT), T0 + 1)
    events += router.move("c1", "sales", T0 + 5, by="sam")  # the supervisor's
    events += router.tick(T0 + 40)  # c2 waited past billing's 30 s: the queue's own overflow
    for event in events:
        engine.apply(event)

    billing, sales = engine.queue("billing", T0 + 41), engine.queue("sales", T0 + 41)

    assert (billing.offered, billing.moved, billing.overflowed, billing.waiting) == (2, 1, 1, 0)
    assert (sales.offered, sales.moved, sales.overflowed, sales.waiting) == (2, 0, 0, 2)
