"""The graph store on a real Cozo (RocksDB) database: a whole graph written in chunks."""

from __future__ import annotations

from pathlib import Path

import pytest
from rustragd.model import Edge, Resolution, TypeRecord
from rustragd.store import graph_store
from rustragd.store.graph_store import GraphStore


def _edges(files: int, per_file: int, target: str) -> list[Edge]:
    return [
        Edge(n + 1, "calls", 1000 + n, "exact", n, f"src/f{f}.rs", target, 0, "")
        for f in range(files)
        for n in range(per_file)
    ]


def _resolution(target: str) -> Resolution:
    edges = _edges(4, 5, target)
    types = [TypeRecord(f"{n:032x}", f"T{n}{target}", 0) for n in range(7)]
    return Resolution(edges=edges + edges[:3], types=types)  # three repeated edges


def test_a_graph_written_in_chunks_is_the_whole_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graph_store, "GRAPH_CHUNK", 3)
    monkeypatch.setattr(graph_store, "_FILE_CHUNK", 1)
    store = GraphStore(tmp_path / "graph.db")
    try:
        for target in ("first", "second"):  # the second replaces every row of the first
            resolution = _resolution(target)
            store.replace_graph(resolution)
            assert sorted(store.load_edges()) == sorted(set(resolution.edges))
            rows = store._run("?[f, c] := *type{fingerprint: f, canonical: c}")
            assert sorted(c for _, c in rows) == sorted(t.canonical for t in resolution.types)
            assert not store.graph_stale()
    finally:
        store.close()


def test_a_graph_write_stopped_midway_leaves_the_graph_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graph_store, "GRAPH_CHUNK", 3)
    store = GraphStore(tmp_path / "graph.db")
    try:
        store.replace_graph(_resolution("first"))
        assert not store.graph_stale()
        write = store._write_graph
        calls = 0

        def fail_on_the_third(*args: object, **kwargs: object) -> None:
            nonlocal calls
            calls += 1
            if calls == 3:
                raise RuntimeError("killed")
            write(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(store, "_write_graph", fail_on_the_third)
        with pytest.raises(RuntimeError):
            store.replace_graph(_resolution("second"))
        assert store.graph_stale()  # the next start resolves the graph again
    finally:
        store.close()


def _rocksdb_setting(db: Path, name: str) -> str:
    """A setting of the newest options file RocksDB wrote for the database it opened."""
    newest = max((db / "data").glob("OPTIONS-*"), key=lambda p: int(p.name.split("-")[1]))
    lines = [line.strip() for line in newest.read_text().splitlines()]
    return next(line.split("=", 1)[1] for line in lines if line.startswith(f"{name}="))


def test_rocksdb_opens_with_the_configured_memtable_and_keeps_the_data(tmp_path: Path) -> None:
    db = tmp_path / "graph.db"
    store = GraphStore(db, write_buffer_mb=4)
    try:
        store.replace_graph(_resolution("kept"))
        assert _rocksdb_setting(db, "write_buffer_size") == str(4 << 20)
        assert _rocksdb_setting(db, "compression") == "kLZ4Compression"
    finally:
        store.close()
    store = GraphStore(db, write_buffer_mb=16)  # an existing store, reopened with another size
    try:
        assert _rocksdb_setting(db, "write_buffer_size") == str(16 << 20)
        assert sorted(store.load_edges()) == sorted(set(_resolution("kept").edges))
    finally:
        store.close()
