"""In-memory adjacency of a workspace's edges, for graph answers in microseconds."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable

from rustragd.model import Edge


class Graph:
    """Edges indexed by source, by destination and by the file they are written in."""

    def __init__(self, edges: Iterable[Edge] = ()) -> None:
        self.outgoing: dict[int, list[Edge]] = defaultdict(list)
        self.incoming: dict[int, list[Edge]] = defaultdict(list)
        self.by_path: dict[str, list[Edge]] = defaultdict(list)
        self.count = 0
        self._add(edges)

    def _add(self, edges: Iterable[Edge]) -> None:
        for edge in edges:
            self.outgoing[edge.src].append(edge)
            if edge.dst:
                self.incoming[edge.dst].append(edge)
            self.by_path[edge.path].append(edge)
            self.count += 1

    @property
    def edges(self) -> list[Edge]:
        """Every edge."""
        return [edge for edges in self.by_path.values() for edge in edges]

    def replace_paths(self, paths: set[str], edges: Iterable[Edge]) -> None:
        """Swap the edges written in ``paths`` for ``edges``."""
        gone = [edge for path in paths for edge in self.by_path.pop(path, ())]
        # One filtering pass per touched list: removing edge by edge costs a scan each,
        # and a module's or a popular type's list holds thousands.
        for src in {edge.src for edge in gone}:
            self.outgoing[src] = [e for e in self.outgoing[src] if e.path not in paths]
        for dst in {edge.dst for edge in gone if edge.dst}:
            self.incoming[dst] = [e for e in self.incoming[dst] if e.path not in paths]
        self.count -= len(gone)
        self._add(edges)

    def delta(self, paths: set[str], edges: list[Edge]) -> tuple[list[Edge], list[Edge]]:
        """What :meth:`replace_paths` with these arguments removes and adds, less what it
        would put back unchanged: the rows a store must write (most of an edit's edges
        stay as they were)."""
        old = {edge for path in paths for edge in self.by_path.get(path, ())}
        new = set(edges)
        # A store row is keyed without confidence, via and extra: drop only the keys that
        # no new edge has (the put overwrites the others).
        kept = {edge.key() for edge in new}
        removed = [e for e in old if e not in new and e.key() not in kept]
        return removed, [e for e in new if e not in old]

    def edges_from(self, item_id: int, rel: str | None = None) -> list[Edge]:
        """Edges leaving ``item_id`` (of one relation when given)."""
        return [e for e in self.outgoing.get(item_id, ()) if rel is None or e.rel == rel]

    def edges_to(self, item_id: int, rel: str | None = None) -> list[Edge]:
        """Edges arriving at ``item_id`` (of one relation when given)."""
        return [e for e in self.incoming.get(item_id, ()) if rel is None or e.rel == rel]

    def walk(
        self, starts: Iterable[int], rel: str, forward: bool, depth: int, limit: int
    ) -> list[tuple[Edge, int]]:
        """Breadth-first edges of ``rel`` from ``starts``, each with its depth (1-based).

        ``forward`` follows src -> dst (callees), else dst -> src (callers). Every
        edge is reported once; ``limit`` bounds the answer.
        """
        seen_nodes = set(starts)
        queue = deque((node, 0) for node in seen_nodes)
        found: list[tuple[Edge, int]] = []
        while queue and len(found) < limit:
            node, level = queue.popleft()
            if level >= depth:
                continue
            edges = self.edges_from(node, rel) if forward else self.edges_to(node, rel)
            for edge in edges:
                found.append((edge, level + 1))
                if len(found) >= limit:
                    break
                nxt = edge.dst if forward else edge.src
                if nxt and nxt not in seen_nodes:
                    seen_nodes.add(nxt)
                    queue.append((nxt, level + 1))
        return found
