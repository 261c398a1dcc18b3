"""Time :meth:`IncrementalResolver.update` for body edits against a full resolution.

    python bench/incremental_resolve.py [--root /tmp/rustrag-practice/serde] [--edits 50]

Each edit adds one statement to the body of a different function (round robin over
the workspace's top-level ``fn`` bodies whose file keeps its definition signature),
re-extracts the file and times the update alone (extraction is not counted). Then
structural edits (a function added at the end of a file, renamed, removed), timed the
same way.

Also times building the resolver as the daemon does after an index job, in a process
that has expanded nothing yet (the expansion caches emptied): expanding every file
again, and starting from the worker's expansions (``Resolution.expansions``).
"""

from __future__ import annotations

import argparse
import gc
import re
import statistics
import time
from pathlib import Path

from rustragd.graph.incremental import IncrementalResolver
from rustragd.graph.resolve import resolve_expanded
from rustragd.index.pool import GC_THRESHOLDS
from rustragd.macros import macro_rules, matcher
from rustragd.macros.expansion import pack_expansions
from rustragd.project.crates import discover_crates, module_paths
from rustragd.project.walker import rust_sources
from rustragd.syntax import extract
from rustragd.syntax.extract import extract_file

#: A function's opening brace on its own signature line, at impl or file level.
_BODY = re.compile(rb"(?m)^(?:    )?(?:pub )?fn \w+[^;{]*\{\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--root", type=Path, default=Path("/tmp/rustrag-practice/serde"))
    ap.add_argument("--edits", type=int, default=50)
    args = ap.parse_args()
    gc.set_threshold(*GC_THRESHOLDS)  # as the daemon does
    root: Path = args.root
    files = sorted(rust_sources(root))
    modules = module_paths(root, discover_crates(root), files)
    sources = {f: (root / f).read_bytes() for f in files}
    blobs = {f: extract_file(f, sources[f], modules[f]).facts for f in files}
    started = time.perf_counter()
    expanded = pack_expansions(resolve_expanded(list(blobs.items()))[1])
    full = time.perf_counter() - started
    builds: dict[bytes, list[float]] = {b"": [], expanded: []}
    for _ in range(3):
        for seed, samples in builds.items():
            _forget_expansions()
            started = time.perf_counter()
            resolver = IncrementalResolver(list(blobs.items()), seed)
            samples.append(time.perf_counter() - started)
    cold, seeded = (statistics.median(samples) for samples in builds.values())
    sites = [(f, m.end()) for f in files for m in _BODY.finditer(sources[f])]
    times: list[float] = []
    slow = 0
    for n in range(args.edits):
        path, at = sites[(n * 7919) % len(sites)]
        source = sources[path]
        edited = source[:at] + b"        let _ = 0;\n" + source[at:]
        blob = extract_file(path, edited, modules[path]).facts
        started = time.perf_counter()
        update = resolver.update([(path, blob)], [])
        times.append(time.perf_counter() - started)
        slow += update.full
        resolver.update([(path, blobs[path])], [])  # back to the original
    # Structural edits: a function added at the end of a file, renamed, removed.
    structural: list[float] = []
    structural_full = 0
    for n in range(args.edits // 3):
        path = files[(n * 7919) % len(files)]
        added = f"\npub fn rustrag_added_{n}() -> u32 {{\n    0\n}}\n".encode()
        for edited in (
            sources[path] + added,
            sources[path] + added.replace(b"_added_", b"_renamed_"),
            sources[path],
        ):
            blob = extract_file(path, edited, modules[path]).facts
            started = time.perf_counter()
            update = resolver.update([(path, blob)], [])
            structural.append(time.perf_counter() - started)
            structural_full += update.full
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    print(f"{root.name}: {len(files)} files, {len(resolver.resolution.edges)} edges")
    print(f"full resolve_workspace: {full * 1000:.1f} ms")
    print(
        f"IncrementalResolver() after an index, median of 3: expanding again {cold * 1000:.1f}"
        f" ms, from the worker's expansions ({len(expanded) / 1e6:.1f} MB) {seeded * 1000:.1f}"
        f" ms ({cold / seeded:.1f}x)"
    )
    print(
        f"update, {len(times)} body edits ({slow} full): "
        f"p50 {statistics.median(times) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, "
        f"max {times[-1] * 1000:.2f} ms"
    )
    structural.sort()
    print(
        f"update, {len(structural)} structural edits ({structural_full} full): "
        f"p50 {statistics.median(structural) * 1000:.2f} ms, "
        f"p90 {structural[round(0.9 * (len(structural) - 1))] * 1000:.2f} ms, "
        f"max {structural[-1] * 1000:.2f} ms; full resolve_workspace "
        f"{full / statistics.median(structural):.0f}x the median"
    )


def _forget_expansions() -> None:
    """Empty the caches of macro expansion, as in a process that has expanded nothing."""
    matcher.load.cache_clear()
    for cache in (macro_rules.expand, macro_rules.expand_nested, extract._fragment):
        cache.cache_clear()


if __name__ == "__main__":
    main()
