"""Bridge between the configuration file and the IVR flow validator."""

from __future__ import annotations

from collections.abc import Iterable

from gateway.config._schema import Config
from gateway.config.errors import ConfigProblem
from gateway.ivr import Flow

__all__ = ["flow_problems", "parsed_flows"]


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
            language=config.speech.language,
        )
    except FlowValidationError as exc:
        return [ConfigProblem(e.path, e.message) for e in exc.errors]
    if config.server.sip.entry_flow not in config.flows:
        return [ConfigProblem("server.sip.entry_flow", f"unknown flow {config.server.sip.entry_flow!r}")]
    return ()


def parsed_flows(config: Config) -> dict[str, Flow]:
    """The configuration's IVR flows as values (the file was validated when it was loaded)."""
    from gateway.ivr import parse_flows

    return parse_flows(
        config.flows,
        queues={q.id for q in config.queues},
        business_hours={b.id for b in config.business_hours},
        path="flows",
        language=config.speech.language,
    )
