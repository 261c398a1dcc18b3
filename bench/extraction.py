"""Extraction throughput: parse + extract + resolve + store, 1 worker vs all cores.

Runs the daemon's own code paths in-process (the worker pools, the resolver, the
Cozo store: items, facts and the graph) over a set of crate folders, each one
workspace, and prints:

- one worker with this process pinned to one core, stage after stage: the time
  of each stage (parse+extract, resolve, store) and lines/s on one core;
- one worker on one core and all workers on all cores, every crate indexed at
  once as the daemon indexes its workspaces (extracts stored as they arrive, a
  crate resolved as soon as its files are extracted): lines/s, items/s, the
  speedup, and peak RSS of a worker and of this process; how much of the time the
  workers had work, and how long the last crate took from its resolution to its
  stored graph (one worker resolves a crate: the tail that caps the speedup).

Usage:
  python bench/extraction.py                      # the four practice crates
  python bench/extraction.py --registry           # every crate in /usr/share/cargo/registry
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from harness import REGISTRY, practice_crate
from rustragd.index.indexer import split_jobs
from rustragd.index.machine import Node, default_batch_files, l3_bytes
from rustragd.index.pool import GC_THRESHOLDS, ExtractorPool, Job
from rustragd.model import FileExtract
from rustragd.project.crates import discover_crates, module_paths
from rustragd.project.walker import rust_sources
from rustragd.store.graph_store import GraphStore
from rustragd.syntax.parser import parse

T = TypeVar("T")


@dataclass
class Corpus:
    """Crate folders and their files, as (root, jobs) per crate."""

    crates: list[tuple[Path, list[Job]]]
    crate_lines: list[int]
    lines: int
    files: int


def load_corpus(roots: list[Path]) -> Corpus:
    crates, crate_lines, files = [], [], 0
    for root in roots:
        sources = list(rust_sources(root))
        modules = module_paths(root, discover_crates(root), sources)
        jobs: list[Job] = [(rel, modules[rel], "") for rel in sources]
        crates.append((root, jobs))
        crate_lines.append(sum(Path(root, rel).read_bytes().count(b"\n") for rel in sources))
        files += len(sources)
    return Corpus(crates, crate_lines, sum(crate_lines), files)


async def extract_all(pool: ExtractorPool, corpus: Corpus, batch: int) -> list[list[FileExtract]]:
    per_crate = []
    for root, jobs in corpus.crates:
        chunks = split_jobs(jobs, pool.workers, batch)
        outcomes = await asyncio.gather(*(pool.run(root, chunk) for chunk in chunks))
        per_crate.append([o for chunk in outcomes for o in chunk if isinstance(o, FileExtract)])
    return per_crate


def descendants() -> list[int]:
    """Every process below this one (the forkserver and its workers), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [os.getpid()]
    while todo:
        children = parents.get(todo.pop(), [])
        found.extend(children)
        todo.extend(children)
    return found


def peak_rss_mib(pid: int) -> float:
    """A process's peak resident set (VmHWM), 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pin(cpus: set[int]) -> list[Node]:
    """Run this process (and the workers it starts) on ``cpus`` only; one node of them."""
    os.sched_setaffinity(0, cpus)
    return [Node(0, frozenset(cpus))]


async def staged(corpus: Corpus, cpu: int) -> dict[str, float]:
    """One worker on one core, stage after stage: the time each stage takes."""
    pool = ExtractorPool(1, pin({cpu}))
    batch = default_batch_files(pool.workers, l3_bytes())
    await pool.run(Path("/"), [])  # start the worker before timing
    started = time.perf_counter()
    per_crate = await extract_all(pool, corpus, batch)
    extract_s = time.perf_counter() - started
    started = time.perf_counter()
    resolutions = [await pool.resolve([(e.path, e.facts) for e in ex]) for ex in per_crate]
    resolve_s = time.perf_counter() - started
    state = Path(tempfile.mkdtemp(prefix="rrx"))
    started = time.perf_counter()
    for index, (extracts, resolution) in enumerate(zip(per_crate, resolutions, strict=True)):
        store = GraphStore(state / f"{index}" / "graph.db")
        for i in range(0, len(extracts), batch):
            store.replace_files(extracts[i : i + batch])
        store.replace_graph(resolution)
        store.close()
    store_s = time.perf_counter() - started
    shutil.rmtree(state, ignore_errors=True)
    pool.shutdown()
    return {"extract": extract_s, "resolve": resolve_s, "store": store_s}


@dataclass
class Pipelined:
    """One pipelined run: wall time, items, worker peak RSS, and where time was lost."""

    total_s: float
    items: int
    worker_rss: float
    busy: float
    last_crate: str
    last_s: float


class Busy:
    """How much of the workers' time had work: calls in flight (queued ones included),
    integrated over time and capped at the worker count."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.in_flight = 0
        self.worker_s = 0.0
        self.since = time.perf_counter()

    def _tick(self, change: int) -> None:
        now = time.perf_counter()
        self.worker_s += min(self.in_flight, self.workers) * (now - self.since)
        self.since = now
        self.in_flight += change

    async def track(self, call: Awaitable[T]) -> T:
        self._tick(1)
        try:
            return await call
        finally:
            self._tick(-1)

    def share(self, wall_s: float) -> float:
        """The share of ``wall_s`` times the worker count that the workers had work."""
        self._tick(0)
        return self.worker_s / (wall_s * self.workers)


async def index_crate(
    pool: ExtractorPool, root: Path, jobs: list[Job], batch: int, state: Path, busy: Busy
) -> tuple[int, float, float]:
    """One crate as the daemon indexes a workspace: extracts stored as their batches
    arrive, then the workspace resolved and its graph stored. Returns its item count and
    when (perf_counter) its resolution started and its graph was stored."""
    store = GraphStore(state / "graph.db")
    pending = [
        asyncio.ensure_future(busy.track(pool.run(root, chunk)))
        for chunk in split_jobs(jobs, pool.workers, batch)
    ]
    extracts: list[FileExtract] = []
    for future in asyncio.as_completed(pending):
        done = [o for o in await future if isinstance(o, FileExtract)]
        await asyncio.to_thread(store.replace_files, done)
        extracts.extend(done)
    resolving = time.perf_counter()
    resolution = await busy.track(pool.resolve([(e.path, e.facts) for e in extracts]))
    await asyncio.to_thread(store.replace_graph, resolution)
    store.close()
    return sum(len(e.items) for e in extracts), resolving, time.perf_counter()


async def pipelined(workers: int, cpus: set[int], corpus: Corpus) -> Pipelined:
    """Every crate indexed at once on ``cpus`` (as the daemon indexes its workspaces):
    the end-to-end time, with the stages overlapping."""
    pool = ExtractorPool(workers, pin(cpus))
    batch = default_batch_files(pool.workers, l3_bytes())
    await pool.run(Path("/"), [])  # start the workers before timing
    state = Path(tempfile.mkdtemp(prefix="rrx"))
    # The biggest crates first, so that none is left resolving alone at the end.
    order = sorted(range(len(corpus.crates)), key=lambda i: -corpus.crate_lines[i])
    # A few crates in flight per worker, as a daemon with that many workspaces: all 190
    # registry crates at once held every one's extracts (9 GB in this process).
    in_flight = asyncio.Semaphore(2 * pool.workers)
    busy = Busy(pool.workers)

    async def one(i: int) -> tuple[int, float, float]:
        async with in_flight:
            return await index_crate(pool, *corpus.crates[i], batch, state / f"{i}", busy)

    started = busy.since = time.perf_counter()
    crates = await asyncio.gather(*(one(i) for i in order))
    total_s = time.perf_counter() - started
    shutil.rmtree(state, ignore_errors=True)
    worker_rss = max((peak_rss_mib(pid) for pid in descendants()), default=0.0)
    pool.shutdown()
    last = max(range(len(crates)), key=lambda n: crates[n][2])
    return Pipelined(
        total_s=total_s,
        items=sum(items for items, _, _ in crates),
        worker_rss=worker_rss,
        busy=busy.share(total_s),
        last_crate=corpus.crates[order[last]][0].name,
        last_s=crates[last][2] - crates[last][1],
    )


def parse_only(corpus: Corpus) -> float:
    started = time.perf_counter()
    for root, jobs in corpus.crates:
        for rel, _, _ in jobs:
            parse(Path(root, rel).read_bytes())
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", action="store_true", help="every crate in the registry")
    options = parser.parse_args()
    gc.set_threshold(*GC_THRESHOLDS)  # as the daemon does
    if options.registry:
        roots = sorted(p for p in REGISTRY.iterdir() if p.is_dir())
    else:
        roots = [
            p for c in ("regex", "regex-syntax", "serde", "serde_json") if (p := practice_crate(c))
        ]
    corpus = load_corpus(roots)
    cores = len(os.sched_getaffinity(0))
    print(f"{len(roots)} crates, {corpus.files} files, {corpus.lines} lines; {cores} cores")
    parse_s = parse_only(corpus)
    print(f"parse only (this process): {parse_s:.2f} s, {corpus.lines / parse_s:,.0f} lines/s")
    allowed = sorted(os.sched_getaffinity(0))
    stages = asyncio.run(staged(corpus, allowed[0]))
    staged_s = sum(stages.values())
    print(
        f"1 worker on 1 core, stage by stage: parse+extract {stages['extract']:.2f} s,"
        f" resolve {stages['resolve']:.2f} s, store {stages['store']:.2f} s;"
        f" total {staged_s:.2f} s = {corpus.lines / staged_s:,.0f} lines/s"
    )
    results = {}
    for workers in sorted({1, cores}):
        r = asyncio.run(pipelined(workers, set(allowed[:workers]), corpus))
        results[workers] = r
        lines_s = corpus.lines / r.total_s
        print(
            f"{workers} worker(s) on {workers} core(s), pipelined as the daemon indexes:"
            f" {r.total_s:.2f} s = {lines_s:,.0f} lines/s, {r.items / r.total_s:,.0f}"
            f" items/s; {lines_s / workers:,.0f} lines/s/core;"
            f" peak RSS of a worker {r.worker_rss:.0f} MiB"
        )
        print(
            f"  workers had work {r.busy:.0%} of the time; the last crate to finish"
            f" ({r.last_crate}) took {r.last_s:.2f} s from its resolution to its stored graph"
        )
    if len(results) > 1:
        speedup = results[1].total_s / results[cores].total_s
        print(f"speedup with {cores} workers on {cores} cores: {speedup:.2f}x")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (decode + store, as the daemon): {own:.0f} MiB")


if __name__ == "__main__":
    main()
