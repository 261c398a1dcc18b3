"""A cold index farmed out to a Ray cluster of 1, 2 and 4 nodes, against the local pools.

Copies every crate of the Debian registry (/usr/share/cargo/registry: the 58-crate
registry of bench/extraction.py --registry) into one workspace, then indexes it cold
(vectors off, or on with --vectors: the job's bulk then goes to the cluster's embedder
actors) in a fresh daemon state each time:

1. on the daemon's local pools (the baseline; it also fills the library cache that
   every run shares, so that the runs compare the workspace's own work);
2. on a local multi-node Ray cluster (ray.cluster_utils.Cluster simulates the nodes on
   this machine), of 1, 2 and 4 nodes of --cpus-per-node CPUs each.

Each run prints wall time, lines/s, the share of time in resolution (one task) and in
the rest (extraction batches and the store), bytes shipped to the cluster and the
speedup against the local pools; --runs repeats each for a median. On a 2-core machine
the cluster's speedup is bounded by the cores; on a many-core machine (or with GPUs)
run it with --cpus-per-node set to cores / 4.

Usage: python bench/cluster.py [--nodes 1 2 4] [--cpus-per-node N] [--runs 1] [--vectors]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import REGISTRY, BenchDaemon


def build_workspace(target: Path) -> tuple[int, int]:
    """Every registry crate copied under ``target``: (crates, lines of Rust)."""
    shutil.rmtree(target, ignore_errors=True)
    crates = sorted(p for p in REGISTRY.iterdir() if p.is_dir())
    lines = 0
    for crate in crates:
        shutil.copytree(crate, target / crate.name, symlinks=False, ignore_dangling_symlinks=True)
    for path in target.rglob("*.rs"):
        lines += path.read_bytes().count(b"\n")
    return len(crates), lines


def index_once(root: Path, library_cache: Path, cluster: str, vectors: bool) -> dict[str, Any]:
    """One cold index in a fresh daemon (its vectors too, with ``vectors``): its answer,
    wall seconds and resolve ms."""
    config = f"library_cache: {library_cache}\n"
    daemon = BenchDaemon(embeddings=vectors, config=config)
    try:
        started = time.perf_counter()
        answer = daemon.request("index", {"path": str(root), "wait": True, "cluster": cluster})
        wall = time.perf_counter() - started
        status = daemon.workspace(root)
    finally:
        daemon.close()
    if answer["state"] != "ready":
        raise RuntimeError(f"the index failed: {answer['error']}")
    return {"answer": answer, "wall": wall, "resolve_s": (status["last_resolve_ms"] or 0) / 1000}


def report(label: str, runs: list[dict[str, Any]], lines: int, baseline: float | None) -> float:
    wall = statistics.median(r["wall"] for r in runs)
    resolve = statistics.median(r["resolve_s"] for r in runs)
    cluster = runs[-1]["answer"].get("cluster") or {}
    shipped = cluster.get("bytes_shipped", 0) / 1e6
    speedup = f"  speedup x{baseline / wall:.2f}" if baseline else ""
    print(
        f"{label:<22} wall {wall:6.2f} s  {lines / wall:8,.0f} lines/s"
        f"  resolve {resolve / wall:4.0%}  extract+store {1 - resolve / wall:4.0%}"
        f"  shipped {shipped:6.1f} MB"
        f"  tasks {cluster.get('tasks_done', 0)}  vectors there {cluster.get('embedded', 0)}"
        f"{speedup}",
        flush=True,
    )
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="*", default=[1, 2, 4])
    cores = len(os.sched_getaffinity(0))
    parser.add_argument("--cpus-per-node", type=int, default=max(1, cores // 4))
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument(
        "--vectors", action="store_true", help="embed too (on the cluster's embedder actors)"
    )
    options = parser.parse_args()
    from ray.cluster_utils import Cluster  # the cluster extra: pip install '.[cluster]'

    base = Path(tempfile.mkdtemp(prefix="rrcl", dir="/tmp"))
    root, cache = base / "registry", base / "libraries"
    crates, lines = build_workspace(root)
    print(f"{crates} crates, {lines:,} lines of Rust; {cores} cores here", flush=True)
    try:
        index_once(root, cache, "local", False)  # fills the shared library cache
        local = [index_once(root, cache, "local", options.vectors) for _ in range(options.runs)]
        baseline = report("local pools", local, lines, None)
        for nodes in options.nodes:
            cluster = Cluster(
                initialize_head=True, head_node_args={"num_cpus": options.cpus_per_node}
            )
            try:
                for _ in range(nodes - 1):
                    cluster.add_node(num_cpus=options.cpus_per_node)
                cluster.wait_for_nodes()
                runs = [
                    index_once(root, cache, cluster.address, options.vectors)
                    for _ in range(options.runs)
                ]
                label = f"{nodes} node(s) x {options.cpus_per_node} CPU"
                report(label, runs, lines, baseline)
            finally:
                cluster.shutdown()
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
