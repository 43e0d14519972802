"""The gateway's side of an IVR bench call: answer, play the prompt, check the digits when the call ends.

`Controller` is what the bench asks of the gateway's side of either scenario.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bench.sip._measure import Seen
from bench.sip._scenarios import DIGITS
from gateway.sip._protocol import (
    Answer,
    CallState,
    Command,
    Disconnected,
    Dtmf,
    ErrorEvent,
    Event,
    Incoming,
    Play,
    Ready,
    Rejected,
    State,
)
from gateway.sip._supervisor import WorkerPool
from gateway.sip.errors import WorkerUnavailableError

__all__ = ["Controller", "IvrController", "WorkerClient"]

logger = logging.getLogger("helpline.sip.bench")

MAX_EXAMPLES = 5


class Controller(Protocol):
    pool: WorkerPool | None
    limit: int
    version: str

    @property
    def active(self) -> int:
        """Sessions still up."""
        ...

    def reset(self) -> None: ...

    async def on_event(self, worker_id: int, event: Event) -> None: ...

    async def on_lost(self, worker_id: int, call_ids: tuple[str, ...]) -> None: ...

    async def outcome(self, restarts: int) -> Seen:
        """What the step's sessions came to, once they have all ended."""
        ...


class WorkerClient:
    """What both controllers share: the pool, the worker's limit and version, refusals and errors."""

    def __init__(self) -> None:
        self.pool: WorkerPool | None = None
        self.limit = 0
        self.version = ""
        self.refused = 0
        self.errors = 0

    def note(self, worker_id: int, event: Event) -> None:
        match event:
            case Ready():
                self.limit, self.version = event.limit, event.version
            case Rejected():
                self.refused += 1
            case ErrorEvent():
                logger.warning("media worker %d: %s", worker_id, event.message)
                self.errors += 1
            case _:
                pass

    async def send(self, worker_id: int, command: Command) -> None:
        if self.pool is None:
            return
        try:
            await self.pool.send(worker_id, command)
        except WorkerUnavailableError:
            self.errors += 1


@dataclass(slots=True)
class _CallRecord:
    confirmed: bool = False
    digits: list[str] = field(default_factory=list)


class IvrController(WorkerClient):
    """Answers every call, plays the prompt, collects the digits and checks them when the call ends."""

    def __init__(self, prompt: Path) -> None:
        super().__init__()
        self._prompt = str(prompt)
        self._calls: dict[tuple[int, str], _CallRecord] = {}
        self.reset()

    def reset(self) -> None:
        self.answered = 0
        """Calls that were confirmed (ACKed) at a worker and have ended."""
        self.digits_missed = 0
        self.not_answered = 0
        self.refused = 0
        self.errors = 0
        self.missed: list[str] = []

    @property
    def active(self) -> int:
        return len(self._calls)

    async def on_event(self, worker_id: int, event: Event) -> None:
        self.note(worker_id, event)
        match event:
            case Incoming():
                self._calls[(worker_id, event.call_id)] = _CallRecord()
                await self.send(worker_id, Answer(call_id=event.call_id))
                await self.send(worker_id, Play(call_id=event.call_id, file=self._prompt))
            case State(state=CallState.CONFIRMED):
                record = self._calls.get((worker_id, event.call_id))
                if record is not None:
                    record.confirmed = True
            case Dtmf():
                record = self._calls.get((worker_id, event.call_id))
                if record is not None:
                    record.digits.append(event.digit)
            case Disconnected():
                record = self._calls.pop((worker_id, event.call_id), None)
                if record is not None:
                    self._ended(record)
            case _:
                pass

    def _ended(self, record: _CallRecord) -> None:
        if not record.confirmed:
            # Cancelled before the ACK: Kamailio gave up on this worker (or the caller did); SIPp's
            # count says whether the call then succeeded elsewhere.
            self.not_answered += 1
            return
        self.answered += 1
        digits = "".join(record.digits)
        if digits != DIGITS:
            self.digits_missed += 1
            if len(self.missed) < MAX_EXAMPLES:
                self.missed.append(digits or "(none)")

    async def on_lost(self, worker_id: int, call_ids: tuple[str, ...]) -> None:
        logger.warning("media worker %d died with %d call(s) up", worker_id, len(call_ids))
        for call_id in call_ids:
            self._calls.pop((worker_id, call_id), None)

    async def outcome(self, restarts: int) -> Seen:
        return Seen(
            answered=self.answered, digits_missed=self.digits_missed, not_answered=self.not_answered,
            refused=self.refused, errors=self.errors, restarts=restarts, missed=list(self.missed),
        )  # fmt: skip
