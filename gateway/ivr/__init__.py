"""IVR flows: declarative verbs read from the configuration, validated on load, run by a pure interpreter.

The configuration's `flows:` section maps a flow name to a list of steps. A step is a mapping with one
verb key and an optional `id` (its label); verbs without properties may be written bare (`- hangup`).
Durations are in seconds. Queue and business-hours names must exist in the configuration.

    flows:
      main:
        - play: prompts/welcome.wav                 # or {file: ...}; WAV only
        - lookup: caller                            # or {by: attribute, attribute: account_number}
        - branch:
            when:                                   # first match wins; `default` (else: next step)
              - {business_hours: office, is: closed, goto: after_hours}
              - {attribute: customer.tier, equals: premium, goto: vip}   # equals, in, matches,
              - {caller: {matches: '^\\+33'}, goto: france}               # exists, gt, lt
            default: main_menu
        - id: main_menu
          menu:
            prompt: "For billing press 1, for support press 2"   # or {say: ..., voice: ...} / {play: f.wav}
            options: {'1': billing, '2': {goto: support, speech: [support, help]}, '9': repeat}
            timeout: 5
            retries: 2                              # extra attempts, shared by invalid and missing input
            on_invalid: front_desk                  # default for both: hangup
            on_no_input: hangup
            invalid_prompt: "Sorry, that is not a valid choice."   # also no_input_prompt
        - id: after_hours
          voicemail: {prompt: "Please leave a message.", max_seconds: 120, beep: true}
        - hangup                                    # or hangup: reason
        - id: front_desk
          transfer: {uri: "sip:desk@pbx.example.com", on_failure: main_menu}   # or transfer: sip:...
      billing:
        - collect: {attribute: account_number, prompt: "Your account number, then hash",
                    min_length: 8, max_length: 8, terminator: '#', pattern: '^[0-9]+$',
                    timeout: 10, retries: 2, sensitive: true, on_failure: main.front_desk}
        - collect: {attribute: confirmed, prompt: "Your last bill? Say yes or no, or press 1 or 2",
                    max_length: 1, speech: {'1': [yes, yeah], '2': no}}   # never with sensitive: true
        - collect: {attribute: order, prompt: "Your order number: key it or say it", min_length: 6,
                    max_length: 6, speech: digits}   # said digit by digit in speech.language's words
        - set: {reason: billing}
        - queue: {queue: billing, priority: 5, skills: [billing, {skill: english, min_level: 2}],
                  announcements: {position: true, estimated_wait: true, every: 60},
                  music_on_hold: moh/jazz.wav, allow_callback: '1', allow_voicemail: '2',
                  on_callback: hangup, on_voicemail: <target>, on_exit: main.after_hours}
        - goto: main                                # or `- queue: billing`, `- say: Hello`

Targets (menu options, branch `goto`, `on_*`, `goto`): `label` (a step `id` in the same flow), `flow`
(another flow's first step), `flow.label`, or `next`, `repeat`, `hangup`. A bare name that is both a
label here and a flow is an error; write `flow.label`. Attributes: the call sets `caller` and `called`;
`lookup` sets `customer.*` and `customer.found`; `collect` and `set` set the names they are given.
"""

from __future__ import annotations

from gateway.ivr._actions import (
    Action,
    CallerHungUp,
    CollectDigits,
    DigitsCollected,
    End,
    HistoryEntry,
    Input,
    LookupCustomer,
    LookupResult,
    MediaDone,
    NoInput,
    PauseRecording,
    QueueExit,
    QueueExited,
    RecordVoicemail,
    ResumeRecording,
    SpeechRecognized,
    StartQueue,
    TransferCall,
    TransferFailed,
)
from gateway.ivr._conditions import IsOpen
from gateway.ivr._digit_words import DIGIT_WORDS, digit_words, digits_said
from gateway.ivr._interpreter import FlowRun
from gateway.ivr._model import (
    HANGUP,
    NEXT,
    REPEAT,
    Announcements,
    AttributeCondition,
    Branch,
    BranchRule,
    Collect,
    Condition,
    Flow,
    Goto,
    Hangup,
    HoursCondition,
    Lookup,
    LookupBy,
    Menu,
    MenuOption,
    Operator,
    Play,
    Prompt,
    Queue,
    Say,
    SetAttributes,
    SpokenValue,
    Step,
    Target,
    TargetKind,
    Transfer,
    Verb,
    Voicemail,
    takes_speech,
)
from gateway.ivr._parse import VERBS, parse_flows
from gateway.ivr.errors import (
    FlowError,
    FlowValidationError,
    IvrError,
    RunFinishedError,
    RunStateError,
    UnexpectedInputError,
    UnknownFlowError,
)

__all__ = [
    "DIGIT_WORDS",
    "HANGUP",
    "NEXT",
    "REPEAT",
    "VERBS",
    "Action",
    "Announcements",
    "AttributeCondition",
    "Branch",
    "BranchRule",
    "CallerHungUp",
    "Collect",
    "CollectDigits",
    "Condition",
    "DigitsCollected",
    "End",
    "Flow",
    "FlowError",
    "FlowRun",
    "FlowValidationError",
    "Goto",
    "Hangup",
    "HistoryEntry",
    "HoursCondition",
    "Input",
    "IsOpen",
    "IvrError",
    "Lookup",
    "LookupBy",
    "LookupCustomer",
    "LookupResult",
    "MediaDone",
    "Menu",
    "MenuOption",
    "NoInput",
    "Operator",
    "PauseRecording",
    "Play",
    "Prompt",
    "Queue",
    "QueueExit",
    "QueueExited",
    "RecordVoicemail",
    "ResumeRecording",
    "RunFinishedError",
    "RunStateError",
    "Say",
    "SetAttributes",
    "SpeechRecognized",
    "SpokenValue",
    "StartQueue",
    "Step",
    "Target",
    "TargetKind",
    "Transfer",
    "TransferCall",
    "TransferFailed",
    "UnexpectedInputError",
    "UnknownFlowError",
    "Verb",
    "Voicemail",
    "digit_words",
    "digits_said",
    "parse_flows",
    "takes_speech",
]
