"""Turn the validated configuration into the routing core's values."""

from __future__ import annotations

from gateway.acd.specs import (
    AgentSpec,
    BusinessHours,
    CapacityProfile,
    Channel,
    ExitAction,
    ExitKind,
    OpeningWindow,
    QueueMember,
    QueueSpec,
    RelaxationKind,
    RelaxationStep,
    SkillRequirement,
)
from gateway.config._schema import (
    WEEKDAYS,
    BusinessHoursConfig,
    Config,
    ExitConfig,
    QueueConfig,
    RelaxationConfig,
    UserConfig,
)

__all__ = ["agent_specs", "business_hours_specs", "queue_specs"]


def agent_specs(config: Config) -> list[AgentSpec]:
    return [_agent(user) for user in config.agents]


def queue_specs(config: Config) -> list[QueueSpec]:
    hours = {b.id: _hours(b) for b in config.business_hours}
    return [_queue(q, hours) for q in config.queues]


def business_hours_specs(config: Config) -> dict[str, BusinessHours]:
    return {b.id: _hours(b) for b in config.business_hours}


def _agent(user: UserConfig) -> AgentSpec:
    cap = user.capacity
    capacity = CapacityProfile(
        total=cap.total,
        cost=(
            (Channel.VOICE, cap.voice),
            (Channel.CHAT, cap.chat),
            (Channel.EMAIL, cap.email),
            (Channel.CASE, cap.case),
        ),
        exclusive=tuple(cap.exclusive),
    )
    return AgentSpec(
        id=user.id,
        name=user.name,
        skills=tuple(sorted(user.skills.items())),
        capacity=capacity,
        sip_user=user.sip.user if user.sip else None,
    )


def _exit(cfg: ExitConfig) -> ExitAction:
    return ExitAction(kind=cfg.action, queue=cfg.queue)


def _relaxation(step: RelaxationConfig) -> RelaxationStep:
    if step.lower_level is not None:
        return RelaxationStep(
            step.after_seconds,
            RelaxationKind.LOWER_LEVEL,
            skill=step.lower_level.skill,
            to_level=step.lower_level.min_level,
        )
    if step.drop_skill is not None:
        return RelaxationStep(step.after_seconds, RelaxationKind.DROP_SKILL, skill=step.drop_skill)
    if step.widen_to_queue is not None:
        return RelaxationStep(step.after_seconds, RelaxationKind.WIDEN_QUEUE, queue=step.widen_to_queue)
    return RelaxationStep(step.after_seconds, RelaxationKind.DROP_PREFERRED)


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _hours(cfg: BusinessHoursConfig) -> BusinessHours:
    windows = [
        OpeningWindow(WEEKDAYS.index(day), _minutes(span[:5]), _minutes(span[6:]))
        for day, spans in cfg.weekly.items()
        for span in spans
    ]
    return BusinessHours(
        name=cfg.id, timezone=cfg.timezone, windows=tuple(windows), closed_dates=cfg.closed_dates
    )


def _queue(q: QueueConfig, hours: dict[str, BusinessHours]) -> QueueSpec:
    return QueueSpec(
        id=q.id,
        name=q.name,
        channel=q.channel,
        strategy=q.strategy,
        skills=tuple(SkillRequirement(r.skill, r.min_level) for r in q.skills),
        members=tuple(QueueMember(m.agent, m.priority, m.weight) for m in q.members),
        service_level_seconds=q.service_level.threshold_seconds,
        service_level_target=q.service_level.target_percent / 100.0,
        relaxation=tuple(_relaxation(step) for step in q.relaxation),
        priority_aging_seconds=q.priority_aging_seconds,
        max_wait_seconds=q.max_wait.seconds if q.max_wait else None,
        max_wait_exit=_exit(q.max_wait.exit) if q.max_wait else ExitAction(ExitKind.DISCONNECT),
        max_length=q.max_length,
        wrap_up_seconds=q.wrap_up_seconds,
        offer_timeout_seconds=q.offer_timeout_seconds,
        business_hours=hours.get(q.business_hours) if q.business_hours else None,
        closed_exit=_exit(q.closed_exit),
    )
