"""FlowRun: a pure, synchronous interpreter of IVR flows, one per call.

It performs no I/O and reads no clock: it returns actions for the media side to perform and is fed
the inputs those actions produced. The flow script is a generator; `feed` checks the input matches
what the script waits for before resuming it, so bad input raises and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

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
from gateway.ivr._conditions import IsOpen, holds
from gateway.ivr._digit_words import digits_said
from gateway.ivr._model import (
    HANGUP,
    NEXT,
    Branch,
    Collect,
    Flow,
    Goto,
    Hangup,
    Lookup,
    LookupBy,
    Menu,
    MenuOption,
    Play,
    Queue,
    Say,
    SetAttributes,
    SpokenValue,
    Target,
    TargetKind,
    Transfer,
    Verb,
    Voicemail,
)
from gateway.ivr.errors import RunFinishedError, RunStateError, UnexpectedInputError, UnknownFlowError

__all__ = ["FlowRun"]


@dataclass(frozen=True, slots=True)
class _Go:
    target: Target
    reason: str = "flow"  # the hangup reason when `target` is HANGUP


Outcome = _Go | End
Script = Generator[Action, Input, None]
Handler = Generator[Action, Input, Outcome]


class FlowRun:
    """One caller's way through the flows.

    `run.start()` returns the first action; each `run.feed(input)` answers the last action and returns
    the next one, until a `Hangup` or `End`. `CallerHungUp` may be fed at any time.
    """

    def __init__(
        self,
        flows: Mapping[str, Flow],
        start: str,
        *,
        caller: str,
        now: datetime,
        is_open: IsOpen,
        called: str = "",
        attributes: Mapping[str, str] | None = None,
        max_instant_steps: int = 1000,
    ) -> None:
        if start not in flows:
            raise UnknownFlowError(start, flows)
        self._flows, self._start = dict(flows), start
        self._attributes: dict[str, str] = {**(attributes or {}), "caller": caller, "called": called}
        self._now, self._is_open = now, is_open
        self._max_instant = max_instant_steps
        self._history: list[HistoryEntry] = []
        self._sensitive: set[str] = set()
        self._script: Script | None = None
        self._expected: tuple[type[Input], ...] = ()
        self._instant = 0
        self._finished = False
        self._where = ""
        self._entered = 0

    @property
    def attributes(self) -> Mapping[str, str]:
        """The interaction attributes so far: caller, called, collected values, `customer.*`, set values."""
        return MappingProxyType(self._attributes)

    @property
    def history(self) -> tuple[HistoryEntry, ...]:
        return tuple(self._history)

    @property
    def sensitive_attributes(self) -> frozenset[str]:
        """Attributes collected with `sensitive: true`: keep them out of logs, traces and transcripts."""
        return frozenset(self._sensitive)

    @property
    def where(self) -> str:
        """The step the run is at, as history entries name it (`flow[i]`); "" before it starts."""
        return self._where

    @property
    def steps_entered(self) -> int:
        """How many steps the run has entered: it changes whenever a step is entered, even the same one
        again (a `repeat`, a `goto` back), so a step's first action can be told from its later ones."""
        return self._entered

    @property
    def finished(self) -> bool:
        return self._finished

    def start(self) -> Action:
        if self._script is not None:
            raise RunStateError("the run has already started")
        self._script = self._run()
        return next(self._script)

    def feed(self, event: Input) -> Action:
        if self._script is None:
            raise RunStateError("the run has not started; call start() first")
        if self._finished:
            raise RunFinishedError(event)
        if isinstance(event, CallerHungUp):
            self._script.close()
            self._note("-", "call", "caller_hangup")
            return self._terminal(End("caller_hangup"))
        if not isinstance(event, self._expected):
            raise UnexpectedInputError(event, (t.__name__ for t in self._expected))
        return self._script.send(event)

    # The script -------------------------------------------------------------------------------------

    def _run(self) -> Script:
        flow, i = self._start, 0
        while True:
            outcome = yield from self._step(flow, i)
            if isinstance(outcome, End):
                yield self._terminal(outcome)
                return
            if outcome.target.kind is TargetKind.HANGUP:
                yield self._terminal(Hangup(outcome.reason))
                return
            flow, i = self._resolve(outcome.target, flow, i)

    def _step(self, flow: str, i: int) -> Handler:
        steps = self._flows[flow].steps
        if i >= len(steps):
            return _Go(HANGUP, "end_of_flow")
        self._instant += 1
        if self._instant > self._max_instant:
            return _Go(HANGUP, "loop_detected")
        self._where, self._entered = f"{flow}[{i}]", self._entered + 1
        return (yield from self._execute(steps[i].verb, f"{flow}[{i}]"))

    def _execute(self, verb: Verb, where: str) -> Handler:
        if isinstance(verb, Say | Play):
            yield from self._await(verb, MediaDone)
            return _Go(NEXT)
        if isinstance(verb, Menu):
            return (yield from self._menu(verb, where))
        if isinstance(verb, Collect):
            return (yield from self._collect(verb, where))
        if isinstance(verb, Lookup):
            return (yield from self._lookup(verb, where))
        if isinstance(verb, Queue):
            return (yield from self._queue(verb, where))
        if isinstance(verb, Voicemail):
            return (yield from self._voicemail(verb, where))
        if isinstance(verb, Transfer):
            return (yield from self._transfer(verb, where))
        return self._instant_step(verb, where)

    def _instant_step(self, verb: Branch | SetAttributes | Goto | Hangup, where: str) -> Outcome:
        if isinstance(verb, Branch):
            return self._branch(verb, where)
        if isinstance(verb, SetAttributes):
            self._attributes.update(verb.values)
            return _Go(NEXT)
        if isinstance(verb, Goto):
            return _Go(verb.target)
        return _Go(HANGUP, verb.reason)

    def _resolve(self, target: Target, flow: str, i: int) -> tuple[str, int]:
        if target.kind is TargetKind.NEXT:
            return flow, i + 1
        if target.kind is TargetKind.REPEAT:
            return flow, i
        return target.flow, self._flows[target.flow].index_of(target.label)

    def _await(self, action: Action, *expected: type[Input]) -> Generator[Action, Input, Input]:
        self._expected = expected
        self._instant = 0
        return (yield action)

    def _terminal(self, action: Hangup | End) -> Action:
        self._finished = True
        self._expected = ()
        return action

    def _note(self, where: str, verb: str, event: str, value: str = "") -> None:
        self._history.append(HistoryEntry(where, verb, event, value))

    def _snapshot(self) -> Mapping[str, str]:
        return MappingProxyType(dict(self._attributes))

    # Verbs that wait ------------------------------------------------------------------------------

    def _menu(self, menu: Menu, where: str) -> Handler:
        keywords = tuple(word for option in menu.options for word in option.speech)
        ask = CollectDigits(menu.prompt, 1, 1, None, menu.timeout_seconds, speech=keywords)
        failure = "no_input"  # or "invalid_input"
        for attempt in range(menu.retries + 1):
            notice = menu.no_input_prompt if failure == "no_input" else menu.invalid_prompt
            if attempt and notice is not None:
                yield from self._await(notice, MediaDone)
            reply = yield from self._await(ask, DigitsCollected, NoInput, SpeechRecognized)
            option = _choose(menu, reply)
            if option is not None:
                self._note(where, "menu", "chose", option.digit)
                return _Go(option.target)
            failure = "invalid_input" if _heard(reply) else "no_input"
            self._note(where, "menu", failure, _heard(reply))
        target = menu.on_no_input if failure == "no_input" else menu.on_invalid
        return _Go(target, failure)

    def _collect(self, collect: Collect, where: str) -> Handler:
        if collect.sensitive:
            self._sensitive.add(collect.attribute)
            yield from self._await(PauseRecording(), MediaDone)
        value = yield from self._gather(collect, where)
        if value is not None:
            self._attributes[collect.attribute] = value
        if collect.sensitive:
            yield from self._await(ResumeRecording(), MediaDone)
        return _Go(NEXT) if value is not None else _Go(collect.on_failure, "collect_failed")

    def _gather(self, collect: Collect, where: str) -> Generator[Action, Input, str | None]:
        ask = CollectDigits(
            collect.prompt,
            collect.min_length,
            collect.max_length,
            collect.terminator,
            collect.timeout_seconds,
            sensitive=collect.sensitive,
            speech=tuple(word for spoken in collect.speech + collect.spoken_digits for word in spoken.words),
            number=bool(collect.spoken_digits),
        )
        for attempt in range(collect.retries + 1):
            if attempt and collect.invalid_prompt is not None:
                yield from self._await(collect.invalid_prompt, MediaDone)
            reply = yield from self._await(ask, DigitsCollected, NoInput, SpeechRecognized)
            digits = _entry(collect, reply)
            shown = "*" * len(digits) if collect.sensitive else digits
            if _valid_entry(collect, digits):
                self._note(where, "collect", "collected", shown)
                return digits
            rejected = digits or isinstance(reply, SpeechRecognized)
            self._note(where, "collect", "rejected" if rejected else "no_input", shown or _heard(reply))
        return None

    def _lookup(self, lookup: Lookup, where: str) -> Handler:
        by = "caller" if lookup.by is LookupBy.CALLER else lookup.attribute or ""
        value = self._attributes.get(by, "")
        for key in [k for k in self._attributes if k.startswith("customer.")]:
            del self._attributes[key]
        found: Mapping[str, str] = {}
        if value:
            reply = yield from self._await(LookupCustomer(by, value), LookupResult)
            found = reply.attributes if isinstance(reply, LookupResult) else {}
        self._attributes.update({f"customer.{k}": str(v) for k, v in found.items()})
        self._attributes["customer.found"] = "true" if found else "false"
        self._note(where, "lookup", "found" if found else "not_found", by)
        return _Go(NEXT)

    def _queue(self, queue: Queue, where: str) -> Handler:
        start = StartQueue(
            queue.queue,
            queue.priority,
            queue.skills,
            queue.announcements,
            queue.music_on_hold,
            queue.allow_callback,
            queue.allow_voicemail,
            self._snapshot(),
        )
        reply = yield from self._await(start, QueueExited)
        reason = reply.reason if isinstance(reply, QueueExited) else QueueExit.GAVE_UP
        self._note(where, "queue", "exited", reason.value)
        if reason is QueueExit.ANSWERED:
            return End("answered")
        if reason is QueueExit.CALLBACK:
            return _Go(queue.on_callback, "callback")
        if reason is QueueExit.VOICEMAIL and queue.on_voicemail is not None:
            return _Go(queue.on_voicemail)
        if reason is QueueExit.VOICEMAIL:
            yield from self._voicemail(Voicemail(queue=queue.queue), where)
            return _Go(HANGUP, "voicemail")
        return _Go(queue.on_exit, "queue_gave_up")

    def _voicemail(self, voicemail: Voicemail, where: str) -> Handler:
        record = RecordVoicemail(
            voicemail.prompt, voicemail.max_seconds, voicemail.beep, self._snapshot(), voicemail.queue
        )
        yield from self._await(record, MediaDone)
        self._note(where, "voicemail", "recorded")
        return _Go(NEXT)

    def _transfer(self, transfer: Transfer, where: str) -> Handler:
        reply = yield from self._await(TransferCall(transfer.uri), MediaDone, TransferFailed)
        if isinstance(reply, TransferFailed):
            self._note(where, "transfer", "failed", reply.reason)
            return _Go(transfer.on_failure, "transfer_failed")
        self._note(where, "transfer", "transferred", transfer.uri)
        return End("transferred")

    def _branch(self, branch: Branch, where: str) -> Outcome:
        for rule in branch.rules:
            if holds(rule.condition, self._attributes, self._now, self._is_open):
                self._note(where, "branch", "matched", str(rule.target))
                return _Go(rule.target)
        self._note(where, "branch", "default", str(branch.default))
        return _Go(branch.default)


def _heard(reply: Input) -> str:
    if isinstance(reply, DigitsCollected):
        return reply.digits
    return reply.text if isinstance(reply, SpeechRecognized) else ""


def _choose(menu: Menu, reply: Input) -> MenuOption | None:
    if isinstance(reply, DigitsCollected):
        return menu.option(reply.digits)
    if isinstance(reply, SpeechRecognized):
        said = reply.text.lower()
        return next((o for o in menu.options if any(_said(word, said) for word in o.speech)), None)
    return None


def _said(keyword: str, text: str) -> bool:
    return re.search(rf"\b{re.escape(keyword)}\b", text) is not None


def _entry(collect: Collect, reply: Input) -> str:
    if isinstance(reply, SpeechRecognized) and collect.spoken_digits:
        words = {spoken.value: spoken.words for spoken in collect.spoken_digits}
        return digits_said(words, reply.text)
    if isinstance(reply, SpeechRecognized):
        return _spoken(collect.speech, reply.text.lower())
    digits = _heard(reply)
    return digits.removesuffix(collect.terminator) if collect.terminator else digits


def _spoken(values: tuple[SpokenValue, ...], text: str) -> str:
    """The value whose keyword was said ("" when none was)."""
    return next((v.value for v in values if any(_said(word, text) for word in v.words)), "")


def _valid_entry(collect: Collect, digits: str) -> bool:
    if not collect.min_length <= len(digits) <= collect.max_length:
        return False
    return collect.pattern is None or collect.pattern.fullmatch(digits) is not None
