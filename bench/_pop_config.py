"""The gateway configuration the screen-pop benchmark runs against: N agents and one chat queue."""

from __future__ import annotations

import yaml
from argon2 import PasswordHasher

__all__ = ["bench_config"]


def bench_config(agents: int) -> str:
    """YAML for agents pop1..popN (password `<user>-bench`), integration `popbench`, chat queue `pop`."""
    # Cheap hashes: a benchmark's throwaway accounts, and N logins should not measure argon2.
    hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    users: list[dict[str, object]] = [
        {
            "id": f"pop{n}",
            "name": f"Pop Agent {n}",
            "role": "agent",
            "password_hash": hasher.hash(f"pop{n}-bench"),
            "skills": {"pop": 5},
        }
        for n in range(1, agents + 1)
    ]
    users.append(
        {
            "id": "popbench",
            "name": "Pop benchmark",
            "role": "integration",
            "password_hash": hasher.hash("popbench-bench"),
        }
    )
    config = {
        "users": users,
        "skills": [{"id": "pop", "name": "Screen-pop benchmark"}],
        "queues": [
            {
                "id": "pop",
                "name": "Screen-pop benchmark",
                "channel": "chat",
                "strategy": "longest_idle",
                "skills": [{"skill": "pop"}],
                "wrap_up_seconds": 0,
                "offer_timeout_seconds": 60,
            }
        ],
    }
    return (
        "# Written by `helpline bench pop --write-config`: throwaway benchmark accounts.\n"
        + yaml.safe_dump(config, sort_keys=False)
    )
