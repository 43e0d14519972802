"""What a FlowRun asks the media side to do (actions) and what the media side answers (inputs).

Every action but the final ones (`Hangup`, `End`) is answered by exactly one input: `MediaDone` when
it simply completed, or the input named in the action's docstring.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from gateway.acd.specs import SkillRequirement
from gateway.ivr._model import Announcements, Hangup, Play, Prompt, Say

__all__ = [
    "Action",
    "CallerHungUp",
    "CollectDigits",
    "DigitsCollected",
    "End",
    "HistoryEntry",
    "Input",
    "LookupCustomer",
    "LookupResult",
    "MediaDone",
    "NoInput",
    "PauseRecording",
    "QueueExit",
    "QueueExited",
    "RecordVoicemail",
    "ResumeRecording",
    "SpeechRecognized",
    "StartQueue",
    "TransferCall",
    "TransferFailed",
]


@dataclass(frozen=True, slots=True)
class CollectDigits:
    """Play `prompt` (DTMF barges in), then gather digits; answered by DigitsCollected or NoInput.

    `speech` lists keywords a recogniser may listen for; a match is answered by SpeechRecognized.
    `number`: they are digit words and the caller says a number (pauses between groups of digits).
    """

    prompt: Prompt
    min_digits: int
    max_digits: int
    terminator: str | None
    timeout_seconds: float
    sensitive: bool = False
    speech: tuple[str, ...] = ()
    number: bool = False


@dataclass(frozen=True, slots=True)
class LookupCustomer:
    """Ask the CTI adapter who this is; answered by LookupResult (empty when nobody matched)."""

    by: str  # "caller" or the attribute name
    value: str


@dataclass(frozen=True, slots=True)
class StartQueue:
    """Hand the call to the routing core; answered by QueueExited."""

    queue: str
    priority: int
    skills: tuple[SkillRequirement, ...]
    announcements: Announcements | None
    music_on_hold: str | None
    allow_callback: str | None
    allow_voicemail: str | None
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecordVoicemail:
    """Play the prompt and beep, record up to `max_seconds`, store it like a recording.

    Answered by MediaDone.
    """

    prompt: Prompt | None
    max_seconds: float
    beep: bool
    attributes: Mapping[str, str] = field(default_factory=dict)
    queue: str | None = None  # the queue the message goes to as work (see Voicemail.queue)


@dataclass(frozen=True, slots=True)
class TransferCall:
    """Blind-transfer to `uri`; answered by MediaDone (the call left) or TransferFailed."""

    uri: str


@dataclass(frozen=True, slots=True)
class PauseRecording:
    """The caller is about to type something sensitive."""


@dataclass(frozen=True, slots=True)
class ResumeRecording:
    pass


@dataclass(frozen=True, slots=True)
class End:
    """The IVR has nothing more to do with this call (answered, transferred, or the caller left)."""

    reason: str


Action = (
    Say
    | Play
    | CollectDigits
    | LookupCustomer
    | StartQueue
    | RecordVoicemail
    | TransferCall
    | PauseRecording
    | ResumeRecording
    | Hangup
    | End
)


@dataclass(frozen=True, slots=True)
class MediaDone:
    pass


@dataclass(frozen=True, slots=True)
class DigitsCollected:
    digits: str


@dataclass(frozen=True, slots=True)
class NoInput:
    pass


@dataclass(frozen=True, slots=True)
class SpeechRecognized:
    text: str


@dataclass(frozen=True, slots=True)
class LookupResult:
    attributes: Mapping[str, str] = field(default_factory=dict)


class QueueExit(StrEnum):
    ANSWERED = "answered"  # an agent took the call: the IVR is done
    CALLBACK = "callback"  # the caller pressed allow_callback
    VOICEMAIL = "voicemail"  # the caller pressed allow_voicemail
    GAVE_UP = "gave_up"  # max wait, closed or no agents: the queue let go of the call


@dataclass(frozen=True, slots=True)
class QueueExited:
    reason: QueueExit


@dataclass(frozen=True, slots=True)
class TransferFailed:
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CallerHungUp:
    pass


Input = (
    MediaDone
    | DigitsCollected
    | NoInput
    | SpeechRecognized
    | LookupResult
    | QueueExited
    | TransferFailed
    | CallerHungUp
)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One thing the caller did or the flow decided, e.g. `main[3] menu chose '2'`."""

    step: str  # "flow[index]"
    verb: str
    event: str  # chose, invalid, no_input, collected, rejected, matched, queue_exit, ...
    value: str = ""

    def __str__(self) -> str:
        return (
            f"{self.step} {self.verb} {self.event} {self.value!r}"
            if self.value
            else f"{self.step} {self.verb} {self.event}"
        )
