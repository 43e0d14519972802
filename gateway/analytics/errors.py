"""Errors of the metrics engine.

AnalyticsError
├── UnknownScope     a figure was asked of a queue or agent the engine does not know
└── BadPeriod        an interval length or date range the engine cannot cut into buckets
"""

from __future__ import annotations

__all__ = ["AnalyticsError", "BadPeriod", "UnknownScope"]


class AnalyticsError(Exception):
    """Base of every error the metrics engine raises."""


class UnknownScope(AnalyticsError):
    def __init__(self, kind: str, scope_id: str) -> None:
        super().__init__(f"no {kind} {scope_id!r}")
        self.kind = kind
        self.scope_id = scope_id


class BadPeriod(AnalyticsError, ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
