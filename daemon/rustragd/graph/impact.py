"""What a change to an item reaches through the graph, and the items a diff touches.

A change to a function reaches its callers; to a type, the items whose signatures,
fields or bodies use it and the impls for it; to a trait, its impls. An impl reached
is changed with its methods, whose callers come next; and so on, level by level.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rustragd.graph.adjacency import Adjacency
from rustragd.model import ITEM_KINDS, Edge, Item

__all__ = ["IMPACT_RELS", "Reached", "changed_lines", "items_touched", "reach"]

#: Edges followed from what is changed (their destination) to what it reaches (their source),
#: the more telling first (an impl for a type also uses it: it is reached as its impl).
IMPACT_RELS = ("calls", "implements", "impl_for", "uses_type")
#: Items a diff can touch (a field's or a variant's change is its type's).
_TOUCHED_KINDS = frozenset(ITEM_KINDS) - {"field", "variant", "mod"}
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True, slots=True)
class Reached:
    """An item a change reaches: how far, and the first edge that reached it."""

    id: int
    depth: int
    edge: Edge


def reach(graph: Adjacency, starts: Iterable[int], depth: int, limit: int) -> list[Reached]:
    """Items reached from ``starts`` in at most ``depth`` levels (``limit`` at most),
    breadth first; each once, by the first edge that reaches it."""
    seen = set(starts)
    queue = deque((node, 0) for node in seen)
    found: list[Reached] = []
    while queue and len(found) < limit:
        node, level = queue.popleft()
        if level >= depth:
            continue
        for rel in IMPACT_RELS:
            for edge in graph.edges_to(node, rel):
                if edge.src in seen or not edge.src:
                    continue
                seen.add(edge.src)
                found.append(Reached(edge.src, level + 1, edge))
                queue.append((edge.src, level + 1))
                if rel in ("implements", "impl_for"):  # its methods change with it
                    for held in graph.edges_from(edge.src, "contains"):
                        if held.dst not in seen:
                            seen.add(held.dst)
                            queue.append((held.dst, level + 1))
                if len(found) >= limit:
                    return found
    return found


def changed_lines(diff: str) -> dict[str, list[tuple[int, int]]]:
    """The new-side line ranges ``(first, last)`` each file of a unified diff changes
    (a pure deletion: the line it happened before); paths as the diff writes them
    after ``+++ b/``."""
    found: dict[str, list[tuple[int, int]]] = {}
    path: str | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            name = line[4:].split("\t", 1)[0].strip()
            path = None if name == "/dev/null" else name.removeprefix("b/")
        elif path is not None and (hunk := _HUNK.match(line)):
            start, count = int(hunk.group(1)), int(hunk.group(2) or 1)
            found.setdefault(path, []).append((start, start + max(count, 1) - 1))
    return found


def items_touched(
    items: Iterable[Item], ranges: dict[str, list[tuple[int, int]]]
) -> Iterator[Item]:
    """The innermost items whose lines overlap a changed range of their file."""
    by_path: dict[str, list[Item]] = {}
    for item in items:
        if item.path in ranges and item.kind in _TOUCHED_KINDS:
            by_path.setdefault(item.path, []).append(item)
    for path, candidates in by_path.items():
        for first, last in ranges[path]:
            overlapping = [i for i in candidates if i.start_line <= last and first <= i.end_line]
            holders = {i.parent for i in overlapping}  # an item holding a touched one
            yield from (i for i in overlapping if i.id not in holders)
