"""Errors of the agent panel.

PanelNotBuilt (503)   the page was asked for but `dist/` was never built (see BUILD_COMMAND)
"""

from __future__ import annotations

from pathlib import Path

from gateway.web import ApiError

__all__ = ["PanelNotBuilt"]


class PanelNotBuilt(ApiError):
    status = 503
    error_id = "panel_not_built"

    def __init__(self, missing: Path, build_command: str) -> None:
        super().__init__(
            f"the agent panel is not built: run `{build_command}`",
            details={"missing": str(missing)},
        )
        self.missing = missing
