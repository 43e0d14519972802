"""Checks queue and agent specs once, at construction, with messages that name the bad field."""

from __future__ import annotations

from collections.abc import Sequence

from ._hours import zone
from .specs import AgentSpec, ExitAction, ExitKind, QueueSpec, RelaxationKind, RelaxationStep

__all__ = ["validate_specs"]


def validate_specs(queues: Sequence[QueueSpec], agents: Sequence[AgentSpec]) -> None:
    queue_ids = _unique("queue", [q.id for q in queues])
    agent_ids = _unique("agent", [a.id for a in agents])
    for q in queues:
        _validate_queue(q, queue_ids, agent_ids)
    for a in agents:
        _validate_agent(a)


def _unique(kind: str, ids: list[str]) -> set[str]:
    seen: set[str] = set()
    for item in ids:
        if not item:
            raise ValueError(f"{kind} id must not be empty")
        if item in seen:
            raise ValueError(f"{kind} {item!r} is defined twice")
        seen.add(item)
    return seen


def _validate_queue(q: QueueSpec, queue_ids: set[str], agent_ids: set[str]) -> None:
    where = f"queue {q.id!r}"
    for m in q.members:
        if m.agent_id not in agent_ids:
            raise ValueError(f"{where}: members: unknown agent {m.agent_id!r}")
    for req in q.skills:
        if not 1 <= req.min_level <= 10:
            raise ValueError(f"{where}: skills.{req.skill}.min_level must be 1-10")
    for n, step in enumerate(q.relaxation):
        _validate_step(f"{where}: relaxation[{n}]", step, queue_ids)
    positive = {
        "offer_timeout_seconds": q.offer_timeout_seconds,
        "service_level_seconds": q.service_level_seconds,
        "max_wait_seconds": q.max_wait_seconds,
        "priority_aging_seconds": q.priority_aging_seconds,
    }
    for name, value in positive.items():
        if value is not None and value <= 0:
            raise ValueError(f"{where}: {name} must be > 0")
    if q.wrap_up_seconds < 0:
        raise ValueError(f"{where}: wrap_up_seconds must be >= 0")
    if q.max_length is not None and q.max_length < 0:
        raise ValueError(f"{where}: max_length must be >= 0")
    _validate_exit(f"{where}: max_wait_exit", q.max_wait_exit, queue_ids)
    _validate_exit(f"{where}: closed_exit", q.closed_exit, queue_ids)
    if q.business_hours is not None:
        try:
            zone(q.business_hours.timezone)
        except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(
                f"{where}: business_hours.timezone {q.business_hours.timezone!r} is unknown"
            ) from exc


def _validate_step(where: str, step: RelaxationStep, queue_ids: set[str]) -> None:
    if step.after_seconds < 0:
        raise ValueError(f"{where}.after_seconds must be >= 0")
    if step.kind in (RelaxationKind.LOWER_LEVEL, RelaxationKind.DROP_SKILL) and not step.skill:
        raise ValueError(f"{where}.skill is required for {step.kind}")
    if step.kind is RelaxationKind.LOWER_LEVEL and (step.to_level is None or not 1 <= step.to_level <= 10):
        raise ValueError(f"{where}.to_level must be 1-10 for lower_level")
    if step.kind is RelaxationKind.WIDEN_QUEUE and step.queue not in queue_ids:
        raise ValueError(f"{where}.queue: unknown queue {step.queue!r}")


def _validate_exit(where: str, action: ExitAction, queue_ids: set[str]) -> None:
    if action.kind is ExitKind.OVERFLOW and action.queue not in queue_ids:
        raise ValueError(f"{where}.queue: unknown queue {action.queue!r}")


def _validate_agent(a: AgentSpec) -> None:
    for skill, level in a.skills:
        if not 1 <= level <= 10:
            raise ValueError(f"agent {a.id!r}: skills.{skill} level must be 1-10")
    if a.capacity.total <= 0:
        raise ValueError(f"agent {a.id!r}: capacity.total must be > 0")
