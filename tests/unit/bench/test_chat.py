"""The chat benchmark's gateway configuration is one the gateway accepts, with room for every chat."""

from __future__ import annotations

import yaml

from bench import chat as bench
from gateway.config import parse_config


def test_given_250_chats_when_config_written_then_the_gateway_accepts_it_with_capacity_for_all() -> None:
    agents = (250 + bench.PER_AGENT - 1) // bench.PER_AGENT
    config = parse_config(yaml.safe_load(bench._config(agents)))
    assert sum(u.capacity.total // u.capacity.chat for u in config.agents) >= 250
    entry = config.chat.entry("bench")
    assert entry is not None and entry.queue == "chat"
    assert config.chat.rate_limit.messages >= 1000, "the benchmark must not measure the rate limit"
    assert config.chat.open_rate_limit.messages >= 1000, "all chats come from one address"


def test_given_2000_chats_over_3_processes_when_dealt_then_every_customer_and_agent_once() -> None:
    shares = bench._shares("helpline", "http://127.0.0.1:1", 2000, 3)
    customers = [i for s in shares for i in range(s.first, s.first + s.count)]
    assert customers == list(range(2000))
    agents = sorted(a for s in shares for a in s.agents)
    assert agents == list(range(2000 // bench.PER_AGENT))
    assert max(s.count for s in shares) - min(s.count for s in shares) <= 1
