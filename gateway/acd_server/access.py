"""Who handled an interaction, and whether a caller of the API may see or act on it."""

from __future__ import annotations

from gateway.acd import InteractionView
from gateway.auth import Principal
from gateway.storage import InteractionRecord

__all__ = ["handling_agent", "may_see"]


def handling_agent(view: InteractionView | None, record: InteractionRecord | None) -> str | None:
    """The agent the interaction is or was with.

    The live view forgets the agent once the interaction ends; the stored record keeps it.
    """
    return (view.agent_id if view else None) or (record.agent_id if record else None)


def may_see(principal: Principal, agent_id: str | None) -> bool:
    """Agents see and act on their own interactions only; every other role on any."""
    return principal.role != "agent" or agent_id == principal.user_id
