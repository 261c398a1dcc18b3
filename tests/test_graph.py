"""The in-memory edge index: replacing a file's edges answers as a graph built anew, and
the store delta turns the old rows into the new ones."""

from __future__ import annotations

import random

from rustragd.graph.adjacency import Adjacency, store_delta
from rustragd.model import Edge

RELATIONS = ("calls", "contains", "uses_type")


def random_edges(rng: random.Random, paths: list[str], count: int) -> list[Edge]:
    return [
        Edge(
            src=rng.randrange(1, 30),
            rel=rng.choice(RELATIONS),
            dst=rng.randrange(0, 30),  # 0: unresolved, no destination
            confidence=rng.choice(("exact", "ambiguous")),
            line=rng.randrange(1, 50),
            path=rng.choice(paths),
            target=f"t{rng.randrange(5)}",
        )
        for _ in range(count)
    ]


def answers(graph: Adjacency) -> dict[str, object]:
    """Everything the graph answers, order-free."""
    nodes = range(0, 31)
    return {
        "count": graph.count,
        "edges": sorted(graph.edges),
        "from": {n: sorted(graph.edges_from(n)) for n in nodes},
        "to": {n: sorted(graph.edges_to(n)) for n in nodes},
        "calls_to": {n: sorted(graph.edges_to(n, "calls")) for n in nodes},
        "in_a": sorted(graph.edges_in(["a.rs"])),
    }


def test_replacing_files_answers_like_a_new_graph() -> None:
    rng = random.Random(3)
    paths = ["a.rs", "b.rs", "c.rs", "d.rs"]
    edges = random_edges(rng, paths, 400)
    graph = Adjacency(edges)
    for _ in range(30):
        touched = set(rng.sample(paths, rng.randrange(1, 3)))
        fresh = random_edges(rng, sorted(touched), rng.randrange(0, 120))
        graph.replace_paths(touched, fresh)
        edges = [e for e in edges if e.path not in touched] + fresh
        assert answers(graph) == answers(Adjacency(edges))
        for node in range(31):  # a node's edges: each file's together, a file replaced last
            for found in (graph.edges_from(node), graph.edges_to(node)):
                runs = [
                    path
                    for n, path in enumerate(e.path for e in found)
                    if n == 0 or found[n - 1].path != path
                ]
                assert len(runs) == len(set(runs))
                assert not touched.isdisjoint(runs[-1:]) or touched.isdisjoint(runs)


def test_store_delta_turns_old_rows_into_new_ones() -> None:
    rng = random.Random(5)
    for _ in range(50):
        old = random_edges(rng, ["a.rs"], 60)
        new = [e._replace(line=e.line + 1) if rng.random() < 0.3 else e for e in old[10:]]
        new += random_edges(rng, ["a.rs"], 10)
        new += [e._replace(confidence="unresolved") for e in old[:3]]  # same key, new value
        rows = {e.key(): e for e in old}  # the store: one row per key, last put wins
        removed, added = store_delta(old, new)
        for edge in removed:
            del rows[edge.key()]
        for edge in added:
            rows[edge.key()] = edge
        assert rows == {e.key(): e for e in new}
        assert len(added) < len(new)  # what stays as it was is not written again
