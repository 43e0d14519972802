"""Whole-graph checks on parsed flows: steps nothing can reach, and loops that never wait for the caller.

A step is a node `(flow, index)`; its edges are where it can continue. Every flow's first step is an
entry point (the SIP side may start any flow).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from gateway.ivr._model import (
    Branch,
    Collect,
    Flow,
    Goto,
    Hangup,
    Lookup,
    Menu,
    Queue,
    SetAttributes,
    Target,
    TargetKind,
    Transfer,
    Verb,
)
from gateway.ivr._reader import Scope, child, index

__all__ = ["check_flows"]

Node = tuple[str, int]
_INSTANT = (SetAttributes, Branch, Goto, Lookup)  # steps that run without waiting for the caller


def check_flows(scope: Scope, flows: Mapping[str, Flow], path: str) -> None:
    edges = {node: list(_successors(flows, node)) for node in _nodes(flows)}
    for flow, i in sorted(set(edges) - _reachable(flows, edges)):
        scope.error(
            _where(path, flow, i),
            "unreachable step: nothing jumps here and the step before never continues to it",
        )
    for cycle in _instant_cycles(flows, edges):
        trail = " -> ".join(f"{flow}[{i}]" for flow, i in (*cycle, cycle[0]))
        flow, i = cycle[0]
        scope.error(_where(path, flow, i), f"loops forever without waiting for the caller: {trail}")


def _where(path: str, flow: str, i: int) -> str:
    return index(child(path, flow), i)


def _nodes(flows: Mapping[str, Flow]) -> Iterator[Node]:
    for flow in flows.values():
        for i in range(len(flow.steps)):
            yield flow.name, i


def _targets(verb: Verb) -> Iterator[Target]:
    """Every target `verb` can continue to, besides falling through to the next step."""
    if isinstance(verb, Menu):
        yield from (option.target for option in verb.options)
        yield from (verb.on_invalid, verb.on_no_input)
    elif isinstance(verb, Collect):
        yield verb.on_failure
    elif isinstance(verb, Branch):
        yield from (rule.target for rule in verb.rules)
        yield verb.default
    elif isinstance(verb, Queue):
        yield from (verb.on_callback, verb.on_exit)
        if verb.on_voicemail is not None:
            yield verb.on_voicemail
    elif isinstance(verb, Transfer):
        yield verb.on_failure
    elif isinstance(verb, Goto):
        yield verb.target


def _falls_through(verb: Verb) -> bool:
    return not isinstance(verb, Menu | Branch | Queue | Transfer | Goto | Hangup)


def _successors(flows: Mapping[str, Flow], node: Node) -> Iterator[Node]:
    flow, i = node
    verb = flows[flow].steps[i].verb
    targets = [*_targets(verb), *([Target(TargetKind.NEXT)] if _falls_through(verb) else [])]
    for target in targets:
        if target.kind is TargetKind.STEP:
            yield target.flow, flows[target.flow].index_of(target.label)
        elif target.kind is TargetKind.REPEAT:
            yield node
        elif target.kind is TargetKind.NEXT and i + 1 < len(flows[flow].steps):
            yield flow, i + 1


def _reachable(flows: Mapping[str, Flow], edges: Mapping[Node, list[Node]]) -> set[Node]:
    seen: set[Node] = set()
    stack: list[Node] = [(name, 0) for name in flows]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(edges[node])
    return seen


def _instant_cycles(flows: Mapping[str, Flow], edges: Mapping[Node, list[Node]]) -> list[list[Node]]:
    """Each set of instant steps that can run into each other forever, as one path, reported once."""
    instant = {n for n in edges if isinstance(flows[n[0]].steps[n[1]].verb, _INSTANT)}
    graph = {n: [m for m in edges[n] if m in instant] for n in instant}
    cycles: list[list[Node]] = []
    covered: set[Node] = set()
    for start in sorted(instant):
        path = _path_back(graph, start)
        if path is not None and start not in covered:
            covered.update(path)
            cycles.append(path)
    return cycles


def _path_back(graph: Mapping[Node, list[Node]], start: Node) -> list[Node] | None:
    """The shortest path from `start` back to itself through `graph`, or None."""
    parents: dict[Node, Node] = {}
    frontier = [start]
    while frontier:
        following: list[Node] = []
        for node in frontier:
            for nxt in graph[node]:
                if nxt == start:
                    return _unwind(parents, node, start)
                if nxt not in parents:
                    parents[nxt] = node
                    following.append(nxt)
        frontier = following
    return None


def _unwind(parents: Mapping[Node, Node], last: Node, start: Node) -> list[Node]:
    path = [last]
    while path[-1] != start:
        path.append(parents[path[-1]])
    return path[::-1]
