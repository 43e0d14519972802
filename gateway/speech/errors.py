"""Errors of the speech package.

SpeechError
└── ModelInstallError  a speech model could not be fetched, checked or unpacked
"""

from __future__ import annotations

__all__ = ["ModelInstallError", "SpeechError"]


class SpeechError(Exception):
    """Base of every speech error."""


class ModelInstallError(SpeechError):
    """The message says what failed (list, download, checksum, archive) and for which model."""
