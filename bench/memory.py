"""Where the daemon's memory goes: process RSS while indexing, settled, across reindexes,
and a breakdown by structure, measured.

1. A daemon (vectors on) indexes the workspace (default: the ~110k-line one of
   bench/ask_latency.py) while this script samples the RSS of the daemon and of every
   process under it (worker pools, the forkserver) every 50 ms: peaks per process and of
   the whole group. Then the settled RSS after the index and its vectors are done, and
   after each of ``--reindex`` reindexes in a row.
2. In this process, each structure the daemon keeps is loaded from that daemon's store,
   one after another, and measured by what it adds: Python allocations still held
   (tracemalloc) and resident memory (RSS, which also sees what native libraries hold:
   Cozo/RocksDB, tantivy, hnswlib, onnxruntime).

Usage: python bench/memory.py [--workspace DIR] [--state DIR] [--reindex 5]
  --state keeps the daemon's state dir: a second run starts warm (no embedding).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ask_latency import build_workspace
from harness import BenchDaemon
from rustragd.heap import settle_heap

PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1024 * 1024


def rss(pid: int | str = "self") -> int:
    """Resident bytes of a process (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def descendants(pid: int) -> list[int]:
    """Every process under ``pid`` (its workers, the forkserver and theirs)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            found.append(child)
            todo.append(child)
    return found


class Sampler:
    """Samples the RSS of a daemon and its descendants on a thread."""

    def __init__(self, pid: int, period: float = 0.05) -> None:
        self.pid = pid
        self.period = period
        self.peak_group = 0
        self.peak_daemon = 0
        self.peak_worker = 0
        self.started = time.perf_counter()
        self.peak_daemon_at = self.peak_group_at = 0.0
        #: At the group's peak: the daemon's RSS and the other processes'.
        self.at_group_peak: tuple[int, list[int]] = (0, [])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            daemon = rss(self.pid)
            others = [rss(child) for child in descendants(self.pid)]
            now = time.perf_counter() - self.started
            if daemon > self.peak_daemon:
                self.peak_daemon, self.peak_daemon_at = daemon, now
            if daemon + sum(others) > self.peak_group:
                self.peak_group, self.peak_group_at = daemon + sum(others), now
                self.at_group_peak = daemon, sorted(others, reverse=True)
            self.peak_worker = max([self.peak_worker, *others])
            self._stop.wait(self.period)


def group_rss(pid: int) -> tuple[int, int]:
    """(daemon, daemon and every process under it) resident bytes now."""
    daemon = rss(pid)
    return daemon, daemon + sum(rss(child) for child in descendants(pid))


def wait_ready(daemon: BenchDaemon, root: Path) -> tuple[dict[str, Any], float]:
    """The workspace's part of ``status`` once it is indexed, vectors included, and the
    seconds until its graph was ready (before the vectors)."""
    started = time.perf_counter()
    graph_ready = 0.0
    while True:
        found: list[dict[str, Any]] = [
            w for w in daemon.request("status")["workspaces"] if w["root"] == str(root)
        ]
        if found and found[0]["state"] == "ready":
            graph_ready = graph_ready or time.perf_counter() - started
            if not found[0]["vectors"]["pending"]:
                return found[0], graph_ready
        time.sleep(0.2)


def settled(pid: int, seconds: float = 12.0) -> tuple[int, int]:
    """The RSS after ``seconds`` of quiet (the daemon's deferred work done, its idle
    workers gone: rustragd.index.pool.IDLE_S)."""
    time.sleep(seconds)
    return group_rss(pid)


def daemon_figures(root: Path, state: Path, reindexes: int) -> Path:
    """Part 1; returns the daemon's state dir for part 2."""
    daemon = BenchDaemon(embeddings=True, state=state)
    pid = daemon.process.pid
    started_rss = group_rss(pid)
    try:
        with Sampler(pid) as sampler:
            started = time.perf_counter()
            daemon.request("index", {"path": str(root), "wait": False})
            workspace, graph_ready = wait_ready(daemon, root)
            took = time.perf_counter() - started
        lines = workspace["lines"]
        soon = settled(pid, 3.0)
        after = settled(pid, 9.0)
        print(
            f"workspace {root}: {workspace['files']} files, {lines} lines, "
            f"{workspace['items']} items, {workspace['edges']} edges, "
            f"{workspace['vectors']['embedded']} vectors; index {took:.1f} s"
        )
        print(
            f"  daemon at start      {started_rss[0] / MB:8.1f} MB"
            f" (group {started_rss[1] / MB:.1f})"
        )
        print(
            f"  peak while indexing  daemon {sampler.peak_daemon / MB:8.1f} MB, largest other "
            f"process {sampler.peak_worker / MB:.1f} MB, group {sampler.peak_group / MB:.1f} MB"
        )
        print(
            f"    at {sampler.peak_daemon_at:.1f} s (daemon), {sampler.peak_group_at:.1f} s"
            " (group);"
            f" graph ready at {graph_ready:.1f} s, vectors done at {took:.1f} s"
        )
        at_daemon, at_others = sampler.at_group_peak
        print(
            f"    at the group's peak: daemon {at_daemon / MB:.1f} MB, others "
            + (", ".join(f"{other / MB:.1f}" for other in at_others) or "none")
            + " MB"
        )
        print(f"  3 s after            daemon {soon[0] / MB:8.1f} MB, group {soon[1] / MB:.1f} MB")
        print(
            f"  settled (12 s)       daemon {after[0] / MB:8.1f} MB, group {after[1] / MB:.1f} MB"
            f" ({after[1] / max(lines, 1) / 1024:.1f} KB per line)"
        )
        for n in range(1, reindexes + 1):
            with Sampler(pid) as sampler:
                daemon.request("reindex", {"path": str(root), "wait": True}, root=str(root))
            now = settled(pid)
            print(
                f"  after reindex {n}      daemon {now[0] / MB:8.1f} MB, group {now[1] / MB:.1f} MB"
                f" (peak group {sampler.peak_group / MB:.1f} MB)"
            )
        state_dir = Path(workspace["state_dir"])
    finally:
        daemon.close()
    return state_dir


class Ledger:
    """What each step adds, held: Python allocations (tracemalloc) and RSS."""

    def __init__(self) -> None:
        self.kept: list[object] = []
        settle_heap()
        self.rss = rss()
        self.traced = tracemalloc.get_traced_memory()[0]
        print(f"  {'structure':<44} {'python':>10} {'rss':>10}")

    def step(self, name: str, load: Callable[[], object]) -> Any:
        started = time.perf_counter()
        value = load()
        took = time.perf_counter() - started
        self.kept.append(value)
        settle_heap()  # as the daemon does after a load: what stays is what is held
        rss_now, traced_now = rss(), tracemalloc.get_traced_memory()[0]
        print(
            f"  {name:<44} {(traced_now - self.traced) / MB:8.1f} MB "
            f"{(rss_now - self.rss) / MB:8.1f} MB  ({took:.2f} s)"
        )
        self.rss, self.traced = rss_now, traced_now
        return value


def breakdown(root: Path, state_dir: Path) -> None:
    """Part 2: each structure loaded from the daemon's store, in this process."""
    from rustragd.graph.adjacency import Adjacency
    from rustragd.graph.incremental import IncrementalResolver
    from rustragd.graph.library import LibraryBlobs
    from rustragd.graph.resolve import library_base, resolve_expanded
    from rustragd.index.libraries import cache_path, library_sources
    from rustragd.macros.expansion import pack_expansions
    from rustragd.project.cargo_sources import dependency_graph
    from rustragd.search.lexical import LexicalIndex, lexical_text
    from rustragd.search.symbol_table import DERIVED, SymbolTable
    from rustragd.search.vector_index import VectorIndex
    from rustragd.server.config import Config
    from rustragd.server.embeddings import EmbeddingService
    from rustragd.store.graph_store import GraphStore
    from rustragd.syntax.tree_cache import TreeCache

    print(f"== by structure, loaded from {state_dir} in this process (tracemalloc on)")
    tracemalloc.start()
    ledger = Ledger()
    store = ledger.step("Cozo store opened (RocksDB)", lambda: GraphStore(state_dir / "graph.db"))
    items = ledger.step("items (store.load_items, Item objects)", store.load_items)
    derived = store.load_items("derived_item")

    def fill_table() -> SymbolTable:
        table = SymbolTable()
        by_path: dict[str, list[Any]] = {}
        for item in items:
            by_path.setdefault(item.path, []).append(item)
        for path, group in by_path.items():
            table.replace_file(path, group)
        table.replace_file(DERIVED, derived)
        return table

    ledger.step("symbol table (over those items)", fill_table)
    edges = ledger.step("edges (store.load_edges, Edge objects)", store.load_edges)
    ledger.step("adjacency (over those edges)", lambda: Adjacency(edges))
    facts = ledger.step("facts (store.load_facts, packed per file)", store.load_facts)
    files = sorted(facts.items())
    expansions = ledger.step(
        "kept expansions (packed, as the worker sends)",
        lambda: pack_expansions(resolve_expanded(files)[1]),
    )
    config = Config.load()
    cache = config.libraries_dir()
    libraries = None
    if cache is not None:  # as the daemon has them: read from the cache its index filled
        found = library_sources(dependency_graph(root))

        def read_libraries() -> LibraryBlobs:
            blobs = tuple(cache_path(cache, source).read_bytes() for source in found.sources)
            return LibraryBlobs(blobs, found.links)

        libraries = ledger.step("library interfaces (packed, std and deps)", read_libraries)
        ledger.step("library base (their resolver, shared)", lambda: library_base(libraries))
    ledger.step(
        "incremental resolver (from those expansions)",
        lambda: IncrementalResolver(files, expansions, libraries),
    )
    full = ledger.step("full items with docs and snippets", store.full_items)

    def lexical() -> LexicalIndex:
        index = LexicalIndex()
        index.upsert((item.id, lexical_text(item)) for item in full)
        return index

    ledger.step("lexical index (tantivy)", lexical)
    service = EmbeddingService(config, list, lambda _: None)
    model = ledger.step("ONNX session and tokenizer (embedder)", service.load)
    ledger.step(
        "vector index (hnswlib, from its file)",
        lambda: VectorIndex.load(
            state_dir / "vectors.hnsw", dim=model.dim, model_id=model.model_id
        ),
    )

    def trees() -> TreeCache:
        cache = TreeCache()
        for path in sorted(facts)[: cache.capacity]:
            cache.reparse(path, (root / path).read_bytes())
        return cache

    ledger.step("tree cache (filled to its bounds)", trees)
    print(
        f"  {'total':<44} {tracemalloc.get_traced_memory()[0] / MB:8.1f} MB"
        f" {rss() / MB:8.1f} MB (the whole process)"
    )
    tracemalloc.stop()
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, default=Path("/tmp/rustrag-bench-100k"))
    parser.add_argument("--state", type=Path)
    parser.add_argument("--reindex", type=int, default=5)
    options = parser.parse_args()
    root = build_workspace(options.workspace)
    state = options.state or Path(tempfile.mkdtemp(prefix="rrmem", dir="/tmp"))
    try:
        breakdown(root, daemon_figures(root, state, options.reindex))
    finally:
        if options.state is None:
            shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
