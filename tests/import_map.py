"""The daemon's import map: every ``rustragd`` module, what it imports, and the checks on it.

Run as a script to print the map's counts and any circle or upward arrow::

    python tests/import_map.py

``tests/test_architecture.py`` asserts what ARCHITECTURE.md promises of it.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "daemon"

#: The daemon's layers, lowest first: a module may import from its own layer and below.
LAYERS = (
    "",  # the root modules: model, ids, delta, clock
    "syntax",
    "project",
    "macros",
    "graph",
    "store",
    "search",
    "workspace",
    "index",
    "live",
    "server",
)


@dataclass(frozen=True, slots=True)
class Arrow:
    """One import of a ``rustragd`` module by another."""

    source: str
    target: str
    line: int


def modules() -> dict[str, Path]:
    """Every module of the daemon package by dotted name (packages by their own name)."""
    found = {}
    for path in sorted((PACKAGE_ROOT / "rustragd").rglob("*.py")):
        parts = list(path.relative_to(PACKAGE_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported_names(path: Path) -> Iterator[tuple[str, int]]:
    """The absolute names a module imports (``from a import b`` gives ``a`` and ``a.b``),
    wherever the import statement is: top level, in a function or under TYPE_CHECKING."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module, node.lineno
            for alias in node.names:
                yield f"{node.module}.{alias.name}", node.lineno


def arrows() -> list[Arrow]:
    """Every import of one daemon module by another, once per (source, target)."""
    known = modules()
    found: dict[tuple[str, str], Arrow] = {}
    for source, path in known.items():
        for name, line in imported_names(path):
            if name in known and name != source:
                found.setdefault((source, name), Arrow(source, name, line))
    return sorted(found.values(), key=lambda a: (a.source, a.target))


def layer(module: str) -> int:
    """The rank of a module's layer (``rustragd.__main__`` is the entry point: the top)."""
    parts = module.split(".")
    if module == "rustragd.__main__":
        return len(LAYERS) - 1
    if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS):
        return LAYERS.index(parts[1])
    return 0


def upward(found: list[Arrow]) -> list[Arrow]:
    """Arrows from a lower layer to a higher one."""
    return [a for a in found if layer(a.target) > layer(a.source)]


def circles(found: list[Arrow]) -> list[list[str]]:
    """The import circles: strongly connected sets of more than one module (Tarjan)."""
    graph: dict[str, list[str]] = {}
    for a in found:
        if a.target not in _packages_of(a.source):  # a module's own package is no circle
            graph.setdefault(a.source, []).append(a.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                result.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return result


def _packages_of(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[:n]) for n in range(1, len(parts))}


def depth(found: list[Arrow]) -> int:
    """The longest chain of imports (levels of the map)."""
    graph: dict[str, list[str]] = {}
    for a in found:
        graph.setdefault(a.source, []).append(a.target)
    memo: dict[str, int] = {}

    def longest(node: str, seen: frozenset[str]) -> int:
        if node in memo:
            return memo[node]
        best = 1 + max(
            (longest(n, seen | {node}) for n in graph.get(node, ()) if n not in seen), default=0
        )
        memo[node] = best
        return best

    return max((longest(n, frozenset()) for n in modules()), default=0)


def main() -> int:
    found = arrows()
    loops, up = circles(found), upward(found)
    print(
        f"{len(modules())} modules, {len(found)} import arrows, {depth(found)} levels, "
        f"{len(loops)} circles, {len(up)} upward arrows"
    )
    for loop in loops:
        print("circle:", " <-> ".join(loop))
    for a in up:
        print(f"upward: {a.source} -> {a.target} (line {a.line})")
    return 1 if loops or up else 0


if __name__ == "__main__":
    sys.exit(main())
