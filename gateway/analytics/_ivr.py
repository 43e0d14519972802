"""The IVR report's figures, folded from `ivr` events: per step of the flows (how often it was reached, which
menu options were chosen and how, no input / invalid input, who hung up there, who left there for a queue)
and for the IVR as a whole (calls in, and how they left), per 15-minute bucket like every other figure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from gateway.acd import JSON, Event, IvrStepKind

from ._calendar import Period
from ._counters import IvrCounters
from ._ledger import Scope

__all__ = ["IvrLedger", "IvrNodeFigures", "IvrTotals"]

_K = IvrStepKind


def _counts(values: Mapping[str, float]) -> dict[str, int]:
    return {k: int(v) for k, v in sorted(values.items())}


class IvrNodeFigures(NamedTuple):
    """One step of a flow (`flow.label`, or `flow[i]` without an id) over one period."""

    node: str
    verb: str
    start: float
    end: float
    reached: int
    options: dict[str, int]
    by_speech: int
    no_input: int
    invalid_input: int
    hung_up: int
    queued: dict[str, int]
    ended: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


class IvrTotals(NamedTuple):
    """The whole IVR over one period: calls that entered it, and how callers left it."""

    start: float
    end: float
    calls: int
    hung_up: int
    queued: dict[str, int]
    ended: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


def _text(data: Mapping[str, JSON], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


class IvrLedger:
    def __init__(self) -> None:
        self._nodes: dict[str, Scope[IvrCounters]] = {}  # in the order first seen: the flows' order, mostly
        self._verbs: dict[str, str] = {}
        self._total: Scope[IvrCounters] = Scope(IvrCounters)

    def apply(self, ev: Event, day_of: Callable[[float], float]) -> None:
        data = ev.data
        kind, node = _text(data, "step"), _text(data, "node")
        if kind == _K.STARTED:
            self._total.at(ev.at, day_of)[0].reached += 1
            return
        if not node:
            return
        scope = self._nodes.get(node)
        if scope is None:
            scope = self._nodes[node] = Scope(IvrCounters)
        if verb := _text(data, "verb"):
            self._verbs[node] = verb
        counters = scope.at(ev.at, day_of)[0]
        if kind == _K.LEFT:
            self._left(counters, self._total.at(ev.at, day_of)[0], data)
        else:
            _count(counters, kind, data)

    @staticmethod
    def _left(node: IvrCounters, total: IvrCounters, data: Mapping[str, JSON]) -> None:
        how = _text(data, "left")
        for c in (node, total):
            if how == "hung_up":
                c.hung_up += 1
            elif how == "queue":
                queue = _text(data, "queue")
                c.queued[queue] = c.queued.get(queue, 0) + 1
            else:
                c.ended[how] = c.ended.get(how, 0) + 1

    def nodes(self, spans: list[Period]) -> list[IvrNodeFigures]:
        """Every period of `spans` for each node that saw anything in them (nodes in the order first seen)."""
        out: list[IvrNodeFigures] = []
        for node, scope in self._nodes.items():
            rows = [(p, scope.period(p)) for p in spans]
            if any(c != IvrCounters() for _, c in rows):
                out.extend(self._node(node, p, c) for p, c in rows)
        return out

    def totals(self, spans: list[Period]) -> list[IvrTotals]:
        return [_totals(p, self._total.period(p)) for p in spans]

    def _node(self, node: str, p: Period, c: IvrCounters) -> IvrNodeFigures:
        return IvrNodeFigures(
            node,
            self._verbs.get(node, ""),
            p[0],
            p[1],
            c.reached,
            _counts(c.options),
            c.by_speech,
            c.no_input,
            c.invalid_input,
            c.hung_up,
            _counts(c.queued),
            _counts(c.ended),
        )


def _count(c: IvrCounters, kind: str, data: Mapping[str, JSON]) -> None:
    if kind == _K.REACHED:
        c.reached += 1
    elif kind == _K.CHOSE:
        option = _text(data, "option")
        c.options[option] = c.options.get(option, 0) + 1
        c.by_speech += _text(data, "by") == "speech"
    elif kind == _K.NO_INPUT:
        c.no_input += 1
    elif kind == _K.INVALID_INPUT:
        c.invalid_input += 1


def _totals(p: Period, c: IvrCounters) -> IvrTotals:
    return IvrTotals(p[0], p[1], c.reached, c.hung_up, _counts(c.queued), _counts(c.ended))
