"""IVR errors.

IvrError                    base of every error raised by gateway.ivr
  FlowValidationError       the flows in the configuration are invalid (carries every FlowError found)
  UnknownFlowError          a run was started on a flow that does not exist
  RunStateError             a FlowRun was driven out of order
    UnexpectedInputError    the input does not answer the action the run is waiting on
    RunFinishedError        the run already ended (hangup, transfer, queue answered, caller hung up)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "FlowError",
    "FlowValidationError",
    "IvrError",
    "RunFinishedError",
    "RunStateError",
    "UnexpectedInputError",
    "UnknownFlowError",
]


@dataclass(frozen=True, slots=True)
class FlowError:
    """One problem in the flows, at `path` (e.g. `flows.main[3].menu.options['9']`)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class IvrError(Exception):
    pass


class FlowValidationError(IvrError):
    def __init__(self, errors: Iterable[FlowError]) -> None:
        self.errors = tuple(errors)
        lines = "\n".join(f"  {error}" for error in self.errors)
        super().__init__(f"{len(self.errors)} error(s) in IVR flows:\n{lines}")


class UnknownFlowError(IvrError):
    def __init__(self, flow: str, known: Iterable[str]) -> None:
        self.flow = flow
        super().__init__(f"unknown flow {flow!r}; known flows: {', '.join(sorted(known)) or 'none'}")


class RunStateError(IvrError):
    pass


class UnexpectedInputError(RunStateError):
    def __init__(self, got: object, expected: Iterable[str]) -> None:
        self.got = got
        self.expected = tuple(expected)
        super().__init__(f"unexpected input {got!r}; waiting for one of: {', '.join(self.expected)}")


class RunFinishedError(RunStateError):
    def __init__(self, got: object) -> None:
        self.got = got
        super().__init__(f"the run has ended; cannot feed {got!r}")
