"""Bridge between the configuration file and the IVR flow validator."""

from __future__ import annotations

from collections.abc import Iterable

from gateway.config._schema import Config
from gateway.config.errors import ConfigProblem

__all__ = ["flow_problems"]


def flow_problems(config: Config) -> Iterable[ConfigProblem]:
    if not config.flows:
        return ()
    from gateway.ivr import FlowValidationError, parse_flows

    try:
        parse_flows(
            config.flows,
            queues={q.id for q in config.queues},
            business_hours={b.id for b in config.business_hours},
            path="flows",
        )
    except FlowValidationError as exc:
        return [ConfigProblem(e.path, e.message) for e in exc.errors]
    return ()
