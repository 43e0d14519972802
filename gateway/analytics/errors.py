"""Errors of the analytics package.

AnalyticsError
 +-- ModelInstallError    a speech model could not be fetched, checked or unpacked
"""

from __future__ import annotations

__all__ = ["AnalyticsError", "ModelInstallError"]


class AnalyticsError(Exception):
    """Base of every analytics error."""


class ModelInstallError(AnalyticsError):
    """The message says what failed (list, download, checksum, archive) and for which model."""
