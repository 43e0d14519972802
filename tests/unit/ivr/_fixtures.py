"""Loading the good/ and bad/ flow fixtures: `flows:` plus the `queues:`/`business_hours:` names they use
and the `language:` callers speak (`speech.language`, default en)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from gateway.ivr import Flow, parse_flows

HERE = Path(__file__).parent
GOOD = sorted((HERE / "good").glob("*.yaml"))
BAD = sorted((HERE / "bad").glob("*.yaml"))


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    return document


def parse_file(path: Path) -> dict[str, Flow]:
    document = load(path)
    return parse_flows(
        document["flows"],
        queues=set(document.get("queues") or ()),
        business_hours=set(document.get("business_hours") or ()),
        language=document.get("language", "en"),
    )


def expectations(path: Path) -> list[str]:
    """The `# expect: ...` lines at the top of a bad fixture."""
    prefix = "# expect: "
    return [line.removeprefix(prefix) for line in path.read_text().splitlines() if line.startswith(prefix)]
