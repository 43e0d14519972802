"""An interaction's routing trace laid out for a person: one step per decision, said in words."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gateway.acd import Decision, ExclusionReason, InteractionView, Trigger
from gateway.supervisor.schemas import ExclusionOut, TraceOut, TraceStep

__all__ = ["explain"]

Name = Callable[[str], str]

_TRIGGERS = {
    Trigger.ARRIVED: "arrived in queue {queue}",
    Trigger.RETURNED: "came back to queue {queue} (an offer was declined, missed or withdrawn)",
    Trigger.RELAXED: "queue {queue} relaxed its requirements",
    Trigger.AGENT_FREE: "an agent of queue {queue} became free",
}
_RULES = {
    "longest_idle": "the agent idle the longest",
    "least_occupied": "the least occupied agent",
    "round_robin": "the next agent in turn",
    "best_skill": "the agent with the best skill fit",
    "preferred_agent": "the customer's preferred agent",
    "only_agent": "the one agent this work is for",
    "agent_side": "the most urgent work this agent could take",
    "supervisor": "the agent a supervisor named",
}
_WHY_NOT = {
    ExclusionReason.SKILL: "lacks a required skill",
    ExclusionReason.LEVEL: "skill level too low",
    ExclusionReason.CAPACITY: "no room left",
    ExclusionReason.PRESENCE: "not available",
    ExclusionReason.WRAP_UP: "in wrap-up",
    ExclusionReason.DECLINED_BEFORE: "declined it before",
    ExclusionReason.NOT_MEMBER: "not a member of the queue",
    ExclusionReason.NOT_PREFERRED: "the work waits for its preferred agent",
    ExclusionReason.NOT_THE_AGENT: "the work is for another agent only",
}


def _headline(decision: Decision, name: Name) -> str:
    cause = _TRIGGERS.get(decision.trigger, str(decision.trigger)).format(queue=decision.queue)
    rule = _RULES.get(decision.rule, decision.rule.replace("_", " "))
    if decision.trigger is Trigger.SUPERVISOR and decision.chosen_agent is not None:
        return f"A supervisor offered it to {name(decision.chosen_agent)}"
    if decision.chosen_agent is None:
        return f"{cause.capitalize()}: no agent could take it, so it waits"
    return f"{cause.capitalize()}: offered to {name(decision.chosen_agent)}, {rule}"


def _step(decision: Decision, name: Name) -> TraceStep:
    candidates = [name(c.agent_id) for c in decision.candidates]
    excluded = [
        ExclusionOut(
            agent=name(e.agent_id),
            why=_WHY_NOT.get(e.reason, str(e.reason)) + (f" ({e.detail})" if e.detail else ""),
        )
        for e in decision.excluded
    ]
    return TraceStep(
        at=decision.at,
        headline=_headline(decision, name),
        rule=decision.rule,
        chosen_agent=decision.chosen_agent,
        candidates=candidates,
        excluded=excluded,
        not_listed=decision.unavailable_not_listed,
    )


def explain(view: InteractionView, decisions: Sequence[Decision], name: Name) -> TraceOut:
    """`name` turns an agent id into the name a supervisor knows them by."""
    customer = view.customer
    entitlement = None
    if customer is not None and customer.rule:
        changes = [f"priority raised by {customer.priority_delta}"] if customer.priority_delta else []
        changes += [f"sent to queue {customer.queue}"] if customer.queue else []
        entitlement = f"Entitlement rule {customer.rule}" + (f": {' and '.join(changes)}" if changes else "")
    return TraceOut(
        interaction_id=view.id,
        queue=view.queue,
        state=str(view.state),
        agent_id=view.agent_id,
        entitlement=entitlement,
        steps=[_step(d, name) for d in decisions],
    )
