"""Errors of the voice service. The hierarchy:

VoiceError
├── PromptError            a prompt could not be rendered (espeak-ng or sox failed)
├── RecordingError         a recording could not be assembled
└── CallNotFoundError      no call of this service carries the interaction (hold/transfer)
"""

from __future__ import annotations

__all__ = ["CallNotFoundError", "PromptError", "RecordingError", "VoiceError"]


class VoiceError(Exception):
    """Base of every error raised by `gateway.voice`."""


class PromptError(VoiceError):
    def __init__(self, text: str, detail: str) -> None:
        super().__init__(f"prompt {text[:60]!r} could not be rendered: {detail}")
        self.text = text
        self.detail = detail


class RecordingError(VoiceError):
    def __init__(self, interaction_id: str | None, detail: str) -> None:
        super().__init__(f"recording of interaction {interaction_id!r}: {detail}")
        self.interaction_id = interaction_id
        self.detail = detail


class CallNotFoundError(VoiceError):
    def __init__(self, interaction_id: str, detail: str = "no connected call carries it") -> None:
        super().__init__(f"interaction {interaction_id!r}: {detail}")
        self.interaction_id = interaction_id
        self.detail = detail
