"""Who may name which interaction on a case: agents only their own, logged as themselves; staff any."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from gateway.auth import Principal
from gateway.storage import InteractionRecord
from gateway.web import BadRequest, Forbidden

__all__ = ["InteractionLookup", "check_activity_author", "check_interaction"]

# Machine accounts (a CRM integration) log for the whole center, like supervisors and administrators.
_RESTRICTED = "agent"


class InteractionLookup(Protocol):
    async def get_interaction(self, interaction_id: str) -> InteractionRecord | None: ...


def _field(field: str, problem: str) -> dict[str, object]:
    return {"errors": [{"field": field, "problem": problem}]}


async def check_interaction(
    interactions: InteractionLookup, principal: Principal, interaction_id: str | None, *, required: bool
) -> None:
    """The interaction exists and, for an agent, is one they handled; BadRequest/Forbidden name it.

    `required`: an agent must name one (an activity logs an interaction; a case may have none yet).
    """
    if interaction_id is None:
        if required and principal.role == _RESTRICTED:
            raise BadRequest(
                "an agent names the interaction this is about",
                error_id="invalid_body",
                details=_field("interaction_id", "required for agents"),
            )
        return
    record = await interactions.get_interaction(interaction_id)
    if record is None:
        raise BadRequest(
            f"no interaction {interaction_id!r}",
            error_id="unknown_interaction",
            details=_field("interaction_id", f"no interaction {interaction_id!r}"),
        )
    if principal.role == _RESTRICTED and record.agent_id != principal.user_id:
        raise Forbidden(
            f"interaction {interaction_id!r} was not handled by {principal.user_id}",
            error_id="not_your_interaction",
            details={"interaction_id": interaction_id},
        )


def check_activity_author(
    principal: Principal, agent_id: str | None, *, agents: Collection[str]
) -> str | None:
    """The activity's agent: an agent logs only as themselves (and is the default); staff and machine accounts
    name any of the configured `agents` (or none)."""
    if principal.role != _RESTRICTED:
        if agent_id is not None and agent_id not in agents:
            raise BadRequest(
                f"no agent {agent_id!r}",
                error_id="unknown_agent",
                details=_field("agent_id", f"no agent {agent_id!r} is configured"),
            )
        return agent_id
    if agent_id is not None and agent_id != principal.user_id:
        raise Forbidden(
            f"{principal.user_id} may log activities only as themselves, not as {agent_id!r}",
            error_id="not_yourself",
            details={"agent_id": agent_id},
        )
    return principal.user_id
