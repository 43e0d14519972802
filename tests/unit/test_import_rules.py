"""The import rules of the layout, read from the source with `ast` (every import, also inside functions).

- No import cycle between packages: each gateway subpackage (and each top-level gateway module such as
  `gateway.app`), `cti_adapter` and `bench` is one package here.
- `cti_adapter` imports nothing from `gateway`: the gateway composes the two (`gateway/cti`).
- `gateway/acd`, the pure routing core, imports nothing outside itself but the standard library.
- The product (`gateway`, `cti_adapter`) imports neither `bench` nor a test-only library (the `test` extra).
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]
TOP_PACKAGES = ("gateway", "cti_adapter", "bench")


@dataclass(frozen=True, slots=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported module (or package), dotted
    line: int


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _sources() -> dict[str, Path]:
    found = {}
    for top in TOP_PACKAGES:
        for path in sorted((ROOT / top).rglob("*.py")):
            if "node_modules" not in path.parts:
                found[_module_name(path)] = path
    return found


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _imports_of(module: str, path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, path, node)
            for alias in node.names:
                # `from gateway import admin` imports the module gateway.admin, not only the package.
                submodule = f"{source}.{alias.name}"
                yield Import(module, submodule if submodule in _sources() else source, node.lineno)


@cache
def _all_imports() -> tuple[Import, ...]:
    found = (i for module, path in _sources().items() for i in _imports_of(module, path))
    return tuple(dict.fromkeys(found))  # `from x import a, b` is one import of x


def _package_of(module: str) -> str | None:
    """The package a module belongs to for the cycle rule; None outside Helpline."""
    parts = module.split(".")
    if parts[0] not in TOP_PACKAGES:
        return None
    return ".".join(parts[:2]) if parts[0] == "gateway" and len(parts) > 1 else parts[0]


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for imp in _all_imports():
        source, target = _package_of(imp.module), _package_of(imp.target)
        assert source is not None
        graph.setdefault(source, set())
        if target is not None and target != source:
            graph[source].add(target)
    return graph


def _cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One cycle (as a path that returns to its start) per strongly connected group of packages."""
    cycles, done = [], set[str]()
    for start in sorted(graph):
        if start in done:
            continue
        path = _path_back(graph, start)
        if path is not None:
            cycles.append(path)
            done.update(path)
    return cycles


def _path_back(graph: Mapping[str, set[str]], start: str) -> list[str] | None:
    """The shortest import path from `start` back to itself, if any (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph.get(node, ())):
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if target not in previous:
                    previous[target] = node
                    following.append(target)
        frontier = following
    return None


def _describe(imports: list[Import]) -> str:
    return "\n".join(f"  {i.module} (line {i.line}) imports {i.target}" for i in imports)


def _extra(project: dict[str, Any], extra: str) -> set[str]:
    names = set()
    for requirement in project["optional-dependencies"][extra]:
        name = requirement.split(";")[0].split("[")[0]
        for mark in "<>=!~ ":
            name = name.split(mark)[0]
        names.add(name.lower().replace("-", "_"))
    return names


def _test_only_libraries() -> set[str]:
    """The test extra's libraries, less those a product extra also offers (vosk: `helpline[speech]`)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    product = set().union(*(_extra(project, e) for e in project["optional-dependencies"] if e != "test"))
    return _extra(project, "test") - product


def test_given_the_packages_then_no_two_import_each_other_even_through_others() -> None:
    cycles = _cycles(_package_graph())

    assert not cycles, "import cycles between packages:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_given_cti_adapter_then_it_imports_nothing_from_gateway() -> None:
    found = [
        i
        for i in _all_imports()
        if _package_of(i.module) == "cti_adapter" and i.target.split(".")[0] == "gateway"
    ]

    assert not found, "cti_adapter must not depend on gateway:\n" + _describe(found)


def test_given_the_routing_core_then_it_imports_only_itself_and_the_standard_library() -> None:
    found = [
        i
        for i in _all_imports()
        if _package_of(i.module) == "gateway.acd"
        and _package_of(i.target) != "gateway.acd"
        and i.target.split(".")[0] not in sys.stdlib_module_names
    ]

    assert not found, "gateway/acd must stay pure:\n" + _describe(found)


def test_given_the_product_packages_then_they_import_neither_bench_nor_a_test_only_library() -> None:
    forbidden = _test_only_libraries() | {"bench"}
    found = [
        i
        for i in _all_imports()
        if i.module.split(".")[0] in {"gateway", "cti_adapter"} and i.target.split(".")[0] in forbidden
    ]

    assert "playwright" in forbidden and "pytest" in forbidden
    assert not found, "the product must not need the benchmarks or the test extras:\n" + _describe(found)


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c", "a"]]),
        ({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}}, [["a", "b", "a"], ["c", "d", "c"]]),
    ],
)
def test_given_a_graph_when_searched_for_cycles_then_each_cycle_is_named_once(
    graph: dict[str, set[str]], expected: list[list[str]]
) -> None:
    assert _cycles(graph) == expected


def test_given_the_sources_then_the_rules_see_the_imports_that_exist() -> None:
    graph = _package_graph()

    # Edges known to exist: if these are missing, the rules above read nothing and prove nothing.
    assert "gateway.acd" in graph["gateway.acd_server"]
    assert "cti_adapter" in graph["gateway.cti"]
    assert "gateway.sip" in graph["bench"]
    assert len(_sources()) > 100
