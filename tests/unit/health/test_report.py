"""What the health service reports when checks pass, fail or hang."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from gateway.health import Component, HealthService


async def _fine() -> Sequence[Component]:
    return [Component(name="database", ok=True, details={"dialect": "sqlite"})]


async def _refused() -> Sequence[Component]:
    raise ConnectionRefusedError("Connection refused")


async def _hangs() -> Sequence[Component]:
    await asyncio.sleep(60)
    return []


async def test_given_every_check_passes_when_reported_then_ok_with_each_component() -> None:
    report = await HealthService({"database": _fine}).report()

    assert report.ok
    assert report.to_json() == {
        "status": "ok",
        "components": {"database": {"status": "ok", "dialect": "sqlite"}},
    }


async def test_given_a_check_fails_or_hangs_when_reported_then_unavailable_naming_why() -> None:
    report = await HealthService({"database": _fine, "redis": _refused, "sip": _hangs}, timeout=0.2).report()

    assert not report.ok
    assert report.to_json() == {
        "status": "unavailable",
        "components": {
            "database": {"status": "ok", "dialect": "sqlite"},
            "redis": {"status": "down", "error": "ConnectionRefusedError: Connection refused"},
            "sip": {"status": "down", "error": "no answer within 0.2 s"},
        },
    }
