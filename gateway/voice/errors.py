"""Errors of the voice service. The hierarchy:

VoiceError
├── PromptError            a prompt could not be rendered (espeak-ng or sox failed)
├── RecordingError         a recording could not be assembled
├── RecordingUnreadable    a kept recording cannot be played (no key, altered or cut off)
├── CallNotFoundError      no call of this service carries the interaction (hold/transfer)
├── DialError              a click-to-dial was refused (why: a `DialRefusal`, the agent, a detail)
└── MonitorError           a supervisor cannot join, switch or leave a call
    ├── NoSupervisorPhone      the supervisor has no SIP phone configured
    ├── AlreadyMonitored       a supervisor is already on that call (or this one on another call)
    ├── NotMonitoring          this supervisor is not on that call
    └── NoRoomForSupervisor    the call's media worker has no call slot left for the supervisor's leg
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AlreadyMonitored",
    "CallNotFoundError",
    "DialError",
    "DialRefusal",
    "MonitorError",
    "NoRoomForSupervisor",
    "NoSupervisorPhone",
    "NotMonitoring",
    "PromptError",
    "RecordingError",
    "RecordingUnreadable",
    "VoiceError",
]


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


class RecordingUnreadable(VoiceError):
    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"recording {name}: {detail}")
        self.name = name
        self.detail = detail


class CallNotFoundError(VoiceError):
    def __init__(self, interaction_id: str, detail: str = "no connected call carries it") -> None:
        super().__init__(f"interaction {interaction_id!r}: {detail}")
        self.interaction_id = interaction_id
        self.detail = detail


class DialRefusal(StrEnum):
    NO_TRUNK = "no_trunk"  # server.sip.trunk is not configured
    INVALID_NUMBER = "invalid_number"
    NO_PHONE = "agent_has_no_phone"  # the agent has no SIP account
    PHONE_UNREACHABLE = "agent_phone_unreachable"  # not registered, refused or silent
    AGENT_BUSY = "agent_busy"  # not available, or already offered or holding work
    NO_QUEUE = "no_queue"  # no voice queue the agent may take calls in


class DialError(VoiceError):
    def __init__(self, refusal: DialRefusal, agent_id: str, detail: str) -> None:
        super().__init__(f"click-to-dial for agent {agent_id!r}: {detail}")
        self.refusal = refusal
        self.agent_id = agent_id
        self.detail = detail


class MonitorError(VoiceError):
    def __init__(self, interaction_id: str, supervisor_id: str, detail: str) -> None:
        super().__init__(f"interaction {interaction_id!r}, supervisor {supervisor_id!r}: {detail}")
        self.interaction_id = interaction_id
        self.supervisor_id = supervisor_id
        self.detail = detail


class NoSupervisorPhone(MonitorError):
    pass


class AlreadyMonitored(MonitorError):
    pass


class NotMonitoring(MonitorError):
    pass


class NoRoomForSupervisor(MonitorError):
    pass
