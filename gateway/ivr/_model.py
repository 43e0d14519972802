"""The declarative IVR model: flows made of steps, each step one verb, jumps expressed as targets.

Values only: built once by `parse_flows` from the configuration, read by `FlowRun`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from gateway.acd.specs import SkillRequirement

__all__ = [
    "HANGUP",
    "NEXT",
    "REPEAT",
    "Announcements",
    "AttributeCondition",
    "Branch",
    "BranchRule",
    "Collect",
    "Condition",
    "Flow",
    "Goto",
    "Hangup",
    "HoursCondition",
    "Lookup",
    "LookupBy",
    "Menu",
    "MenuOption",
    "Operator",
    "Play",
    "Prompt",
    "Queue",
    "Say",
    "SetAttributes",
    "SpokenValue",
    "Step",
    "Target",
    "TargetKind",
    "Transfer",
    "Verb",
    "Voicemail",
    "takes_speech",
]


class TargetKind(StrEnum):
    STEP = "step"  # a flow's first step, or a labelled step
    NEXT = "next"  # the step after the current one (the end of the flow hangs up)
    REPEAT = "repeat"  # the current step again, with fresh retry counters
    HANGUP = "hangup"


@dataclass(frozen=True, slots=True)
class Target:
    """Where a menu option, a branch, a goto or a failure continues.

    Written in YAML as `label` (a step's `id` in the same flow), `flow` (another flow's first step),
    `flow.label`, or one of the reserved words `next`, `repeat`, `hangup`.
    """

    kind: TargetKind
    flow: str = ""
    label: str | None = None

    def __str__(self) -> str:
        if self.kind is not TargetKind.STEP:
            return self.kind.value
        return f"{self.flow}.{self.label}" if self.label else self.flow


NEXT = Target(TargetKind.NEXT)
REPEAT = Target(TargetKind.REPEAT)
HANGUP = Target(TargetKind.HANGUP)


@dataclass(frozen=True, slots=True)
class Say:
    """Text spoken by the TTS (rendered once, cached as WAV by the media side)."""

    text: str
    voice: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Play:
    file: str


Prompt = Say | Play


@dataclass(frozen=True, slots=True)
class MenuOption:
    digit: str  # '0'-'9', '*' or '#'
    target: Target
    speech: tuple[str, ...] = ()  # keywords that select this option once speech recognition is on


@dataclass(frozen=True, slots=True)
class SpokenValue:
    """A `collect` answered by voice: saying one of `words` enters `value` (e.g. "1" for yes)."""

    value: str
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Menu:
    prompt: Prompt
    options: tuple[MenuOption, ...]
    timeout_seconds: float = 5.0
    retries: int = 2  # extra attempts after the first; invalid and missing input share them
    on_invalid: Target = HANGUP
    on_no_input: Target = HANGUP
    invalid_prompt: Prompt | None = None  # said before the menu is replayed after a wrong digit
    no_input_prompt: Prompt | None = None

    def option(self, digit: str) -> MenuOption | None:
        return next((o for o in self.options if o.digit == digit), None)


@dataclass(frozen=True, slots=True)
class Collect:
    attribute: str
    prompt: Prompt
    min_length: int = 1
    max_length: int = 20
    terminator: str | None = "#"
    pattern: re.Pattern[str] | None = None  # the whole entry must match
    timeout_seconds: float = 5.0
    retries: int = 2
    sensitive: bool = False  # recording pauses while the caller types; history masks the digits
    on_failure: Target = HANGUP
    invalid_prompt: Prompt | None = None
    speech: tuple[SpokenValue, ...] = ()  # heard once speech recognition is on (never when sensitive)
    # `speech: digits`: each digit's words in the configured language; the caller may say the number
    spoken_digits: tuple[SpokenValue, ...] = ()


class Operator(StrEnum):
    EQUALS = "equals"
    IN = "in"
    MATCHES = "matches"  # regular expression searched in the value
    EXISTS = "exists"
    GT = "gt"
    LT = "lt"


@dataclass(frozen=True, slots=True)
class AttributeCondition:
    """Compare an attribute; the caller's number is the attribute `caller`, the dialled one `called`."""

    attribute: str
    operator: Operator
    operand: str | float | bool | tuple[str, ...] | re.Pattern[str]


@dataclass(frozen=True, slots=True)
class HoursCondition:
    hours: str  # a business-hours set from the configuration
    open: bool


Condition = AttributeCondition | HoursCondition


@dataclass(frozen=True, slots=True)
class BranchRule:
    condition: Condition
    target: Target


@dataclass(frozen=True, slots=True)
class Branch:
    """The first rule whose condition holds decides; otherwise `default`."""

    rules: tuple[BranchRule, ...]
    default: Target = NEXT


@dataclass(frozen=True, slots=True)
class SetAttributes:
    values: tuple[tuple[str, str], ...]


class LookupBy(StrEnum):
    CALLER = "caller"
    ATTRIBUTE = "attribute"


@dataclass(frozen=True, slots=True)
class Lookup:
    """Ask the CTI adapter who the caller is; the answer lands in `customer.*` attributes."""

    by: LookupBy = LookupBy.CALLER
    attribute: str | None = None  # with LookupBy.ATTRIBUTE


@dataclass(frozen=True, slots=True)
class Announcements:
    position: bool = True
    estimated_wait: bool = True
    every_seconds: float = 60.0


@dataclass(frozen=True, slots=True)
class Queue:
    queue: str
    priority: int = 0
    skills: tuple[SkillRequirement, ...] = ()
    announcements: Announcements | None = field(default_factory=Announcements)
    music_on_hold: str | None = None
    allow_callback: str | None = None  # digit the caller presses to be called back instead
    allow_voicemail: str | None = None  # digit the caller presses to leave a voicemail instead
    on_callback: Target = HANGUP
    on_voicemail: Target | None = None  # None: a default voicemail, then hang up
    on_exit: Target = HANGUP  # the queue gave up (max wait, closed, no agents)


@dataclass(frozen=True, slots=True)
class Voicemail:
    prompt: Prompt | None = None
    max_seconds: float = 120.0
    beep: bool = True
    queue: str | None = None  # where the message is routed as work; None: the queue the call was in


@dataclass(frozen=True, slots=True)
class Transfer:
    uri: str  # sip: or sips: URI
    on_failure: Target = HANGUP


@dataclass(frozen=True, slots=True)
class Hangup:
    reason: str = "flow"


@dataclass(frozen=True, slots=True)
class Goto:
    target: Target


Verb = (
    Say
    | Play
    | Menu
    | Collect
    | Branch
    | SetAttributes
    | Lookup
    | Queue
    | Voicemail
    | Transfer
    | Hangup
    | Goto
)


@dataclass(frozen=True, slots=True)
class Step:
    verb: Verb
    label: str | None = None  # the step's `id`, a jump target


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    steps: tuple[Step, ...]

    def index_of(self, label: str | None) -> int:
        if label is None:
            return 0
        for index, step in enumerate(self.steps):
            if step.label == label:
                return index
        raise KeyError(f"flow {self.name!r} has no step labelled {label!r}")


def takes_speech(flows: Mapping[str, Flow]) -> bool:
    """Some step listens to the caller: a menu option with keywords, or a `collect` of spoken values or
    digits. Without one, speech recognition need not run for the IVR."""
    for verb in (step.verb for flow in flows.values() for step in flow.steps):
        if isinstance(verb, Menu) and any(option.speech for option in verb.options):
            return True
        if isinstance(verb, Collect) and (verb.speech or verb.spoken_digits):
            return True
    return False
