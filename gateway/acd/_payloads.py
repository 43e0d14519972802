"""The `data` of the richer events the router emits, built in one place so their shape is easy to review."""

from __future__ import annotations

from ._model import NewInteraction, Presence, requirements
from ._trace import Decision
from .events import JSON
from .specs import RelaxationStep

__all__ = ["offered", "presence_changed", "received", "relaxed"]


def received(new: NewInteraction, now: float) -> dict[str, JSON]:
    skills: JSON = None if new.skills is None else [[s, lvl] for s, lvl in requirements(new.skills)]
    # `NewInteraction` makes them a tuple: check that first, an ABC's isinstance is slow
    items = new.attributes if isinstance(new.attributes, tuple) else new.attributes.items()
    return {
        "queue": new.queue,
        "channel": str(new.channel),
        "skills": skills,
        "priority": new.priority,
        "attributes": dict(items),
        "preferred_agent": new.preferred_agent,
        "only_agent": new.only_agent,
        "enqueue_time": now if new.enqueue_time is None else new.enqueue_time,
        "customer_ref": new.customer_ref,
        "customer": None if new.customer is None else new.customer.to_dict(),
        "callback": new.callback,
    }


def offered(queue: str, deadline: float, decision: Decision) -> dict[str, JSON]:
    rule, trigger, score, candidates = decision.offer_summary()
    return {
        "queue": queue,
        "deadline": deadline,
        "rule": rule,
        "trigger": trigger,
        "score": score,
        "candidates": candidates,
    }


def presence_changed(presence: Presence, previous: Presence, cause: str) -> dict[str, JSON]:
    return {"presence": presence.to_dict(), "previous": previous.to_dict(), "cause": cause}


def relaxed(queue: str, index: int, step: RelaxationStep) -> dict[str, JSON]:
    return {
        "queue": queue,
        "step": index,
        "kind": str(step.kind),
        "skill": step.skill,
        "to_level": step.to_level,
        "widen_to": step.queue,
    }
