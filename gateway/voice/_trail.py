"""The IVR trail: each caller's way through the flow, logged as `ivr` events for the IVR report.

After each action the flow returns, the trail reads what the run did since it last looked: history entries
added (an option chosen, no input, a caller hang-up), a step newly entered, and whether the caller is
leaving the IVR (to a queue, a transfer, a voicemail, or because the flow or the caller hung up). A failure
to log is reported and never reaches the call.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from gateway.acd import IvrStep, IvrStepKind
from gateway.ivr import (
    Action,
    DigitsCollected,
    End,
    Flow,
    Hangup,
    HistoryEntry,
    Input,
    RecordVoicemail,
    SpeechRecognized,
    StartQueue,
)
from gateway.voice._session import Session

__all__ = ["IvrLog", "IvrTrail"]

logger = logging.getLogger("helpline.voice")

_FOLLOWED = 10_000  # calls followed at most: a run that never finishes must not hold its mark for ever
_WHERE = re.compile(r"^(?P<flow>.+)\[(?P<index>\d+)\]$")
_K = IvrStepKind
# history entries (verb, event) the report counts, as the step kind they are
_COUNTED = {
    ("menu", "no_input"): _K.NO_INPUT,
    ("collect", "no_input"): _K.NO_INPUT,
    ("menu", "invalid_input"): _K.INVALID_INPUT,
    ("collect", "rejected"): _K.INVALID_INPUT,
}


class IvrLog(Protocol):
    async def record_ivr(self, steps: Sequence[IvrStep]) -> None: ...


@dataclass(slots=True)
class _Mark:
    history: int = 0  # history entries already read
    entered: int = 0  # the run's `steps_entered` when last read
    left: bool = False


class IvrTrail:
    def __init__(self, log: IvrLog, flows: Mapping[str, Flow]) -> None:
        self._log = log
        self._flows = flows
        self._marks: dict[str, _Mark] = {}

    async def saw(self, session: Session, fed: Input | None, action: Action) -> None:
        """The run of `session` answered `fed` (None: it started) with `action`: log what changed."""
        try:
            steps = self._read(session, fed, action)
            if steps:
                await self._log.record_ivr(steps)
        except Exception:
            logger.exception("call %s: the IVR trail could not be logged", session.key)

    def _read(self, session: Session, fed: Input | None, action: Action) -> list[IvrStep]:
        run, mark = session.run, self._marks.get(session.key)
        if mark is None:
            mark = self._marks[session.key] = _Mark()
            if len(self._marks) > _FOLLOWED:
                del self._marks[next(iter(self._marks))]
        steps = [self._started(session)] if fed is None else []
        for entry in run.history[mark.history :]:
            steps.extend(self._from_history(session, mark, entry, fed))
        mark.history = len(run.history)
        if run.steps_entered != mark.entered and not isinstance(action, Hangup | End):
            mark.entered = run.steps_entered
            steps.append(self._step(session, _K.REACHED, run.where))
        if not mark.left:
            steps.extend(self._leaving(session, mark, action))
        if run.finished:
            del self._marks[session.key]
        return steps

    def _from_history(
        self, session: Session, mark: _Mark, entry: HistoryEntry, fed: Input | None
    ) -> list[IvrStep]:
        if entry.verb == "menu" and entry.event == "chose":
            return [self._step(session, _K.CHOSE, entry.step, option=entry.value, by=_by(fed))]
        counted = _COUNTED.get((entry.verb, entry.event))
        if counted is not None:
            by = _by(fed) if counted is _K.INVALID_INPUT else None
            return [self._step(session, counted, entry.step, by=by)]
        if mark.left:
            return []
        if entry.event == "caller_hangup":
            return [self._left(session, mark, "hung_up", session.run.where)]
        if entry.verb == "transfer" and entry.event == "transferred":
            return [self._left(session, mark, "transferred", entry.step)]
        return []

    def _leaving(self, session: Session, mark: _Mark, action: Action) -> list[IvrStep]:
        where = session.run.where
        if isinstance(action, StartQueue):
            return [self._left(session, mark, "queue", where, queue=action.queue)]
        if isinstance(action, RecordVoicemail):
            return [self._left(session, mark, "voicemail", where)]
        if isinstance(action, Hangup):
            return [self._left(session, mark, "hangup", where)]
        return []

    @staticmethod
    def _started(session: Session) -> IvrStep:
        found = _WHERE.match(session.run.where)
        flow = found["flow"] if found is not None else ""
        return IvrStep(call=session.key, kind=_K.STARTED, node=flow, interaction_id=session.interaction_id)

    def _left(self, session: Session, mark: _Mark, how: str, where: str, queue: str | None = None) -> IvrStep:
        mark.left = True
        return self._step(session, _K.LEFT, where, left=how, queue=queue)

    def _step(
        self,
        session: Session,
        kind: IvrStepKind,
        where: str = "",
        *,
        option: str | None = None,
        by: str | None = None,
        left: str | None = None,
        queue: str | None = None,
    ) -> IvrStep:
        node, verb = self._node(where)
        return IvrStep(
            call=session.key,
            kind=kind,
            node=node,
            verb=verb,
            option=option,
            by=by,
            left=left,
            queue=queue,
            interaction_id=session.interaction_id,
        )

    def _node(self, where: str) -> tuple[str, str]:
        """`flow[i]` as the report names it (`flow.label` when the step has an id) and the step's verb."""
        if not where:
            return "-", ""
        found = _WHERE.match(where)
        flow = self._flows.get(found["flow"]) if found is not None else None
        if found is None or flow is None or int(found["index"]) >= len(flow.steps):
            return where, ""
        step = flow.steps[int(found["index"])]
        name = f"{flow.name}.{step.label}" if step.label else where
        return name, type(step.verb).__name__.lower()


def _by(fed: Input | None) -> str | None:
    if isinstance(fed, DigitsCollected):
        return "dtmf"
    return "speech" if isinstance(fed, SpeechRecognized) else None
