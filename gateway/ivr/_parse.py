"""`parse_flows`: the `flows:` section of the configuration, validated whole, into Flow values."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Set

from gateway.ivr._check import check_flows
from gateway.ivr._model import Flow, Step, Verb
from gateway.ivr._parse_branching import parse_branch, parse_lookup, parse_queue
from gateway.ivr._parse_verbs import (
    parse_collect,
    parse_goto,
    parse_hangup,
    parse_menu,
    parse_play,
    parse_say,
    parse_set,
    parse_transfer,
    parse_voicemail,
)
from gateway.ivr._reader import Scope, child, describe, index
from gateway.ivr._targets import NAME_PATTERN, RESERVED, TargetTable, did_you_mean
from gateway.ivr.errors import FlowError, FlowValidationError

__all__ = ["VERBS", "parse_flows"]

VerbParser = Callable[[Scope, object, str], Verb | None]

VERBS: Mapping[str, VerbParser] = {
    "say": parse_say,
    "play": parse_play,
    "menu": parse_menu,
    "collect": parse_collect,
    "branch": parse_branch,
    "set": parse_set,
    "lookup": parse_lookup,
    "queue": parse_queue,
    "voicemail": parse_voicemail,
    "transfer": parse_transfer,
    "hangup": parse_hangup,
    "goto": parse_goto,
}


def parse_flows(
    raw: object,
    *,
    queues: Set[str],
    business_hours: Set[str],
    path: str = "flows",
    language: str = "en",
) -> dict[str, Flow]:
    """Every flow in `raw` (flow name -> list of steps), or FlowValidationError listing every problem.

    `queues` and `business_hours` are the names the configuration defines; steps may only use those.
    `language` is what callers speak (`speech.language`): a `collect` with `speech: digits` hears its
    digit words.
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        message = f"expected a mapping of flow name to a list of steps, got {describe(raw)}"
        raise FlowValidationError([FlowError(path, message)])
    scope = Scope(TargetTable(_labels(raw)), queues, business_hours, language)
    flows: dict[str, Flow] = {}
    for name, steps in raw.items():
        flow = _flow(scope, name, steps, child(path, name))
        if flow is not None:
            flows[flow.name] = flow
    if not scope.errors:
        # Reachability and loops are judged on a complete graph only; a broken step would fake them.
        check_flows(scope, flows, path)
    if scope.errors:
        raise FlowValidationError(scope.errors)
    return flows


def _valid_name(name: object) -> bool:
    return isinstance(name, str) and bool(NAME_PATTERN.match(name)) and name not in RESERVED


def _labels(raw: Mapping[object, object]) -> dict[str, set[str]]:
    """Flow name -> labels, read ahead of parsing so that forward jumps resolve."""
    labels: dict[str, set[str]] = {}
    for name, steps in raw.items():
        if not _valid_name(name):
            continue
        assert isinstance(name, str)
        found = labels.setdefault(name, set())
        for step in steps if isinstance(steps, list) else ():
            label = step.get("id") if isinstance(step, Mapping) else None
            if _valid_name(label):
                found.add(str(label))
    return labels


def _flow(scope: Scope, name: object, steps: object, path: str) -> Flow | None:
    if not _valid_name(name):
        scope.error(
            path,
            f"invalid flow name {describe(name)}: use letters, digits, '_' or '-' "
            "(not next, repeat or hangup)",
        )
        return None
    assert isinstance(name, str)
    if not isinstance(steps, list):
        scope.error(path, f"expected a list of steps, got {describe(steps)}")
        return None
    if not steps:
        scope.error(path, "empty flow: a flow needs at least one step")
        return None
    scope.flow = name
    parsed = [_step(scope, raw, index(path, i)) for i, raw in enumerate(steps)]
    _check_unique_labels(scope, parsed, path)
    kept = tuple(step for step in parsed if step is not None)
    return Flow(name, kept) if len(kept) == len(parsed) else None


def _check_unique_labels(scope: Scope, steps: list[Step | None], path: str) -> None:
    first: dict[str, int] = {}
    for i, step in enumerate(steps):
        if step is None or step.label is None:
            continue
        if step.label in first:
            where = index(path, first[step.label])
            scope.error(f"{index(path, i)}.id", f"duplicate label {step.label!r} (also {where})")
        first.setdefault(step.label, i)


def _step(scope: Scope, raw: object, path: str) -> Step | None:
    if isinstance(raw, str) and raw in VERBS:
        raw = {raw: None}  # a bare `- hangup`
    if not isinstance(raw, Mapping):
        hint = did_you_mean(raw, VERBS) if isinstance(raw, str) else ""
        scope.error(path, f"expected a step such as '- say: Hello', got {describe(raw)}{hint}")
        return None
    label = _label(scope, raw, path)
    verb_name = _verb_name(scope, raw, path)
    if verb_name is None:
        return None
    reported = len(scope.errors)
    verb = VERBS[verb_name](scope, raw[verb_name], child(path, verb_name))
    if verb is None and len(scope.errors) == reported:
        # A parser that gives up says why; this guards the graph checks against a silently lost step.
        scope.error(child(path, verb_name), f"invalid {verb_name} step")
    return Step(verb, label) if verb is not None else None


def _label(scope: Scope, raw: Mapping[object, object], path: str) -> str | None:
    if "id" not in raw:
        return None
    label = raw["id"]
    if not _valid_name(label):
        scope.error(
            f"{path}.id",
            f"invalid label {describe(label)}: use letters, digits, '_' or '-' (not next, repeat or hangup)",
        )
        return None
    return str(label)


def _verb_name(scope: Scope, raw: Mapping[object, object], path: str) -> str | None:
    keys = [key for key in raw if key != "id"]
    unknown = [key for key in keys if key not in VERBS]
    for key in unknown:
        hint = did_you_mean(key, VERBS) if isinstance(key, str) else ""
        scope.error(path, f"unknown verb {describe(key)}{hint}")
    verbs = [str(key) for key in keys if key in VERBS]
    if len(verbs) > 1:
        scope.error(path, f"one verb per step, got {' and '.join(map(repr, verbs))}")
    elif not verbs and not unknown:
        scope.error(path, f"missing verb: expected one of {', '.join(VERBS)}")
    return verbs[0] if len(verbs) == 1 and not unknown else None
