"""The health report: one entry per component, and the service that gathers it from the checks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["Check", "Component", "HealthReport", "HealthService"]

logger = logging.getLogger("helpline.health")

Details = Mapping[str, str | int | bool | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Component:
    name: str
    ok: bool
    details: Details = field(default_factory=dict)
    """What a person on call needs to see (state, pid, counts, the error)."""

    def to_json(self) -> dict[str, object]:
        return {"status": "ok" if self.ok else "down", **self.details}


Check = Callable[[], Awaitable[Sequence[Component]]]
"""Reports one or more components; it may raise, which makes them down."""


@dataclass(frozen=True, slots=True)
class HealthReport:
    components: tuple[Component, ...]

    @property
    def ok(self) -> bool:
        return all(component.ok for component in self.components)

    def to_json(self) -> dict[str, object]:
        return {
            "status": "ok" if self.ok else "unavailable",
            "components": {component.name: component.to_json() for component in self.components},
        }


class HealthService:
    """Runs every check at once, each within `timeout` seconds; a check that fails or is late is down."""

    def __init__(self, checks: Mapping[str, Check], *, timeout: float = 2.0) -> None:
        if timeout <= 0:
            raise ValueError(f"health: timeout must be > 0, got {timeout}")
        self._checks = dict(checks)
        self._timeout = timeout

    async def report(self) -> HealthReport:
        results = await asyncio.gather(*(self._run(name, check) for name, check in self._checks.items()))
        return HealthReport(tuple(component for components in results for component in components))

    async def _run(self, name: str, check: Check) -> Sequence[Component]:
        try:
            async with asyncio.timeout(self._timeout):
                return await check()
        except TimeoutError:
            error = f"no answer within {self._timeout:g} s"
        except Exception as exc:  # a health check reports failures; it must not fail itself
            error = f"{type(exc).__name__}: {exc}"
        logger.warning("health: %s is down: %s", name, error)
        return [Component(name=name, ok=False, details={"error": error})]
