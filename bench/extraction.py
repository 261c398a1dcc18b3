"""Extraction throughput: parse + extract + resolve + store, 1 worker vs all cores.

Runs the daemon's own code paths in-process (the NUMA-pinned worker pools, the
resolver, the Cozo store) over a set of crate folders and prints, per run:
lines/s and items/s, the time per stage, the speedup of all cores over one
worker, and peak RSS (this process and its workers).

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
from dataclasses import dataclass
from pathlib import Path

from harness import REGISTRY, practice_crate
from rustragd.crates import discover_crates, module_paths
from rustragd.machine import default_batch_files, l3_bytes
from rustragd.model import FileExtract
from rustragd.parser import parse
from rustragd.pool import GC_THRESHOLDS, ExtractorPool, Job
from rustragd.store import GraphStore
from rustragd.walker import rust_sources


@dataclass
class Corpus:
    """Crate folders and their files, as (root, jobs) per crate."""

    crates: list[tuple[Path, list[Job]]]
    lines: int
    files: int


def load_corpus(roots: list[Path]) -> Corpus:
    crates, lines, files = [], 0, 0
    for root in roots:
        sources = list(rust_sources(root))
        modules = module_paths(root, discover_crates(root), sources)
        jobs: list[Job] = []
        for rel in sources:
            jobs.append((rel, modules[rel], ""))
            lines += Path(root, rel).read_bytes().count(b"\n")
            files += 1
        crates.append((root, jobs))
    return Corpus(crates, lines, files)


async def extract_all(pool: ExtractorPool, corpus: Corpus, batch: int) -> list[list[FileExtract]]:
    per_crate = []
    for root, jobs in corpus.crates:
        size = max(1, min(batch, -(-len(jobs) // (pool.workers * 4))))
        chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
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


async def run(workers: int, corpus: Corpus) -> dict[str, float]:
    pool = ExtractorPool(workers)
    batch = default_batch_files(pool.workers, l3_bytes())
    await pool.run(Path("/"), [])  # start the workers before timing
    started = time.perf_counter()
    per_crate = await extract_all(pool, corpus, batch)
    extract_s = time.perf_counter() - started
    started = time.perf_counter()
    # One workspace per crate folder: their resolutions run side by side in the pool,
    # the biggest first so that none is left running alone at the end.
    biggest_first = sorted(per_crate, key=lambda ex: -sum(len(e.facts) for e in ex))
    await asyncio.gather(*(pool.resolve([(e.path, e.facts) for e in ex]) for ex in biggest_first))
    resolve_s = time.perf_counter() - started
    state = Path(tempfile.mkdtemp(prefix="rrx"))
    started = time.perf_counter()
    for index, extracts in enumerate(per_crate):
        store = GraphStore(state / f"{index}" / "graph.db")
        for i in range(0, len(extracts), batch):
            store.replace_files(extracts[i : i + batch])
        store.close()
    store_s = time.perf_counter() - started
    shutil.rmtree(state, ignore_errors=True)
    worker_rss = max((peak_rss_mib(pid) for pid in descendants()), default=0.0)
    pool.shutdown()
    items = sum(len(e.items) for extracts in per_crate for e in extracts)
    return {
        "extract": extract_s,
        "resolve": resolve_s,
        "store": store_s,
        "items": items,
        "worker_rss": worker_rss,
    }


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
    results = {}
    for workers in sorted({1, cores}):
        r = asyncio.run(run(workers, corpus))
        results[workers] = r
        total = r["extract"] + r["resolve"] + r["store"]
        lines_s = corpus.lines / total
        print(
            f"{workers} worker(s): parse+extract {r['extract']:.2f} s,"
            f" resolve {r['resolve']:.2f} s, store {r['store']:.2f} s; total {total:.2f} s"
            f" = {lines_s:,.0f} lines/s, {r['items'] / total:,.0f} items/s;"
            f" {lines_s / workers:,.0f} lines/s/core;"
            f" peak RSS of a worker {r['worker_rss']:.0f} MiB"
        )
    if len(results) > 1:
        one, many = results[1], results[cores]
        stages = ("extract", "resolve", "store")
        end_to_end = sum(one[k] for k in stages) / sum(many[k] for k in stages)
        print(
            f"speedup with {cores} workers: parse+extract"
            f" {one['extract'] / many['extract']:.2f}x, end to end {end_to_end:.2f}x"
        )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (decode + store, as the daemon): {own:.0f} MiB")


if __name__ == "__main__":
    main()
