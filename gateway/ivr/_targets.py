"""Target syntax: `label`, `flow`, `flow.label`, or the reserved words `next`, `repeat`, `hangup`.

A bare name is looked up first among the labels of the flow it is written in, then among flow names;
a name that is both is ambiguous and must be written `flow.label`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Set

from gateway.ivr._model import HANGUP, NEXT, REPEAT, Target, TargetKind

__all__ = ["NAME_PATTERN", "RESERVED", "TargetTable", "did_you_mean"]

NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
RESERVED: Mapping[str, Target] = {"next": NEXT, "repeat": REPEAT, "hangup": HANGUP}


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class TargetTable:
    """Every flow name and step label, known before any step is parsed so targets resolve in one pass."""

    def __init__(self, labels: Mapping[str, Set[str]]) -> None:
        self._labels = labels

    @property
    def flows(self) -> Set[str]:
        return self._labels.keys()

    def resolve(self, text: str, flow: str) -> Target | str:
        """The target `text` written in `flow`, or a message saying why it is not one."""
        if text in RESERVED:
            return RESERVED[text]
        if "." in text:
            return self._qualified(text)
        local = text in self._labels.get(flow, ())
        if local and text in self._labels:
            return f"ambiguous target {text!r}: a label in flow {flow!r} and a flow; write '{flow}.{text}'"
        if local:
            return Target(TargetKind.STEP, flow, text)
        if text in self._labels:
            return Target(TargetKind.STEP, text)
        candidates = [*self._labels.get(flow, ()), *self._labels, *RESERVED]
        return f"unknown target {text!r}{did_you_mean(text, candidates)}"

    def _qualified(self, text: str) -> Target | str:
        flow, _, label = text.partition(".")
        if flow not in self._labels:
            return f"unknown target {text!r}: no flow {flow!r}{did_you_mean(flow, self._labels)}"
        if label not in self._labels[flow]:
            hint = did_you_mean(label, self._labels[flow])
            return f"unknown target {text!r}: flow {flow!r} has no label {label!r}{hint}"
        return Target(TargetKind.STEP, flow, label)
