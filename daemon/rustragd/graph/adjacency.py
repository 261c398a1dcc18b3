"""In-memory adjacency of a workspace's edges, for graph answers in microseconds."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

from rustragd.model import Edge


class Adjacency:
    """Edges indexed by the file they are written in, and by source and by destination.

    A node's edges are one flat list, each file's together and in the order the files
    came (a file replaced goes last): a list per node and per file cost about 200 bytes
    a node, a third of the whole on a workspace of many small items, and replacing a
    file filters the lists it touches, which together hold at most every edge once.
    """

    def __init__(self, edges: Iterable[Edge] = ()) -> None:
        self.by_path: dict[str, list[Edge]] = {}
        self._outgoing: dict[int, list[Edge]] = {}
        self._incoming: dict[int, list[Edge]] = {}
        self.count = 0
        self._add(edges)

    def _add(self, edges: Iterable[Edge]) -> None:
        grouped: dict[str, list[Edge]] = {}
        for edge in edges:
            found = grouped.get(edge.path)
            if found is None:
                grouped[edge.path] = [edge]
            else:
                found.append(edge)
        by_path, outgoing, incoming = self.by_path, self._outgoing, self._incoming
        for path, group in grouped.items():
            held = by_path.get(path)
            if held is None:
                by_path[path] = group
            else:
                held.extend(group)
            for edge in group:
                _link(outgoing, edge.src, edge)
                if edge.dst:
                    _link(incoming, edge.dst, edge)
            self.count += len(group)

    def share(self, edges: Iterable[Edge]) -> None:
        """Hold the objects of ``edges`` in place of equal ones held here, so that an
        edge held both here and by the incremental resolver is in memory once."""
        canonical = {edge: edge for edge in edges}
        for index in (self.by_path, self._outgoing, self._incoming):
            for found in index.values():
                found[:] = [canonical.get(edge, edge) for edge in found]

    @property
    def edges(self) -> list[Edge]:
        """Every edge."""
        return [edge for edges in self.by_path.values() for edge in edges]

    def edges_in(self, paths: Iterable[str]) -> list[Edge]:
        """The edges written in ``paths``."""
        return [edge for path in paths for edge in self.by_path.get(path, ())]

    def replace_paths(self, paths: set[str], edges: Iterable[Edge]) -> None:
        """Swap the edges written in ``paths`` for ``edges``."""
        gone = [edge for path in paths for edge in self.by_path.pop(path, ())]
        self.count -= len(gone)
        _unlink(self._outgoing, {edge.src for edge in gone}, paths)
        _unlink(self._incoming, {edge.dst for edge in gone if edge.dst}, paths)
        self._add(edges)

    def edges_from(self, item_id: int, rel: str | None = None) -> list[Edge]:
        """Edges leaving ``item_id`` (of one relation when given)."""
        return _select(self._outgoing.get(item_id), rel)

    def edges_to(self, item_id: int, rel: str | None = None) -> list[Edge]:
        """Edges arriving at ``item_id`` (of one relation when given)."""
        return _select(self._incoming.get(item_id), rel)

    def walk(
        self,
        starts: Iterable[int],
        rel: str,
        forward: bool,
        depth: int,
        limit: int,
        keep: Callable[[int], bool] | None = None,
    ) -> list[tuple[Edge, int]]:
        """Breadth-first edges of ``rel`` from ``starts``, each with its depth (1-based).

        ``forward`` follows src -> dst (callees), else dst -> src (callers). Every
        edge is reported once; ``limit`` bounds the answer. An edge whose far end
        ``keep`` says no to is neither reported nor followed.
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
                nxt = edge.dst if forward else edge.src
                if keep is not None and not keep(nxt):
                    continue
                found.append((edge, level + 1))
                if len(found) >= limit:
                    break
                if nxt and nxt not in seen_nodes:
                    seen_nodes.add(nxt)
                    queue.append((nxt, level + 1))
        return found


def store_delta(old: list[Edge], new: list[Edge]) -> tuple[list[Edge], list[Edge]]:
    """The store rows to delete and to put to turn ``old`` edges into ``new`` ones, less
    what stays as it was (most of an edit's edges do)."""
    before, after = set(old), set(new)
    # A store row is keyed without confidence, via and extra: drop only the keys that
    # no new edge has (the put overwrites the others).
    kept = {edge.key() for edge in after}
    removed = [e for e in before if e not in after and e.key() not in kept]
    return removed, [e for e in after if e not in before]


def _link(index: dict[int, list[Edge]], node: int, edge: Edge) -> None:
    found = index.get(node)
    if found is None:
        index[node] = [edge]
    else:
        found.append(edge)


def _unlink(index: dict[int, list[Edge]], nodes: set[int], paths: set[str]) -> None:
    """Drop the edges written in ``paths`` from the lists of ``nodes``."""
    for node in nodes:
        found = index.get(node)
        if found is None:
            continue
        found[:] = [edge for edge in found if edge.path not in paths]
        if not found:
            del index[node]


def _select(found: list[Edge] | None, rel: str | None) -> list[Edge]:
    if not found:
        return []
    return list(found) if rel is None else [e for e in found if e.rel == rel]
