"""The agent softphone panel: a browser app the gateway serves at `/agent`, built from `src/` into `dist/`.

`add_routes(app)` serves the page at `/agent` and its files under `/agent/assets/`; `helpline bench pop`
(`bench/pop.py`) measures how long an offer takes to reach the agent's screen. The same build holds the
supervisor's console (`src/console/`), served by `gateway.supervisor` through `add_page`.
"""

from __future__ import annotations

from gateway.panel._serve import BUILD_COMMAND, add_page, add_routes, dist_dir
from gateway.panel.errors import PanelNotBuilt

__all__ = ["BUILD_COMMAND", "PanelNotBuilt", "add_page", "add_routes", "dist_dir"]
