"""What resolving names into dependencies and std costs: index time, disk, RSS, edits.

On the practice crate regex's offline build copy (``CORPUS/_calls/regex``, made by
``../shared/practice/calls/build_calls_truth.sh``; copied to a scratch folder with the
``.cargo/config.toml`` that points crates.io at Debian's registry directory), each run in
a fresh daemon and state dir:

1. Cold index, ``--repeats`` times each: ``dependencies: false`` (the baseline), ``true``
   with an empty library cache (std, core, alloc, regex-syntax, aho-corasick and memchr
   built), ``true`` with that cache already filled (read). Wall time from the ``index``
   request until the graph is ready (vectors off unless ``--vectors``, then also until
   they are done), peak RSS of the daemon's process group while indexing (sampled every
   50 ms) and settled after ``--settle`` s (idle workers gone), the library cache on
   disk, and ``status``'s ``libraries`` entry.
2. In the last daemon of the baseline and of the filled-cache run: a second workspace (a
   small fresh crate on the same three registry crates, through the same directory
   source) indexed after the first: its extra wall time and settled RSS, libraries built.
3. In those same daemons: ``--edits`` body edits (a statement added to a function, then
   reverted) and structural edits (a function added that calls into std, then removed)
   of regex files, each saved and followed by the real ``rustrag-client wait`` process:
   p50/p90 with dependencies on vs off.

Usage: python bench/library_cost.py [--repeats 3] [--edits 10] [--settle 12] [--vectors]
       [--corpus /tmp/rustrag-practice]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import REGISTRY, BenchDaemon, percentile
from memory import MB, Sampler, group_rss, settled
from rustragd.project.cargo_sources import std_sources
from structural_edits import CLIENT, timed_save

#: A single-line function opening with a body, at any level.
FUNCTION = re.compile(r"(?m)^(\s*)(?:pub(?:\([^)]*\))? )?fn (\w+)[^;{]*\{\s*$")
DEPENDENCIES = ("regex-syntax-0.6.27", "aho-corasick-0.7.19", "memchr-2.5.0")
SECOND_LIB = """\
pub fn meta(c: char) -> bool {
    regex_syntax::is_meta_character(c)
}

pub fn parse(pattern: &str) -> usize {
    let hir = regex_syntax::Parser::new().parse(pattern).unwrap();
    let mut seen: Vec<String> = Vec::new();
    seen.push(format!("{:?}", hir));
    seen.len()
}

pub fn find(haystack: &[u8]) -> Option<usize> {
    memchr::memchr(b'a', haystack)
}

pub fn matcher(words: &[&str]) -> bool {
    aho_corasick::AhoCorasick::new(words).is_match("needle")
}
"""


@dataclass
class Run:
    """One cold index: what it took and what it left."""

    graph_s: float
    vectors_s: float
    peak_group: int
    settled_group: int
    libraries: dict[str, Any]
    cache_bytes: int = 0
    cache_files: int = 0
    status: dict[str, Any] = field(default_factory=dict)


def scratch_copy(corpus: Path, base: Path) -> Path:
    """The regex build copy under ``base``, with its parent's ``.cargo/config.toml``."""
    source = corpus / "_calls" / "regex"
    config = corpus / "_calls" / ".cargo" / "config.toml"
    if not (source / "Cargo.toml").exists() or not config.exists():
        raise SystemExit(
            f"{source} or {config} is missing: run "
            "bash ../shared/practice/calls/build_calls_truth.sh .venv/bin/python "
            f"{corpus} regex"
        )
    root = base / "regex"
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("target"))
    (root / ".cargo").mkdir(exist_ok=True)
    shutil.copy(config, root / ".cargo" / "config.toml")
    return root


def second_workspace(base: Path) -> Path:
    """A small fresh crate on regex's three registry dependencies."""
    root = base / "second"
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text(
        '[package]\nname = "second"\nversion = "0.1.0"\nedition = "2021"\n\n'
        '[dependencies]\nregex-syntax = "0.6"\naho-corasick = "0.7"\nmemchr = "2"\n'
    )
    (root / "src" / "lib.rs").write_text(SECOND_LIB)
    (root / ".cargo").mkdir()
    (root / ".cargo" / "config.toml").write_text(
        '[source.crates-io]\nreplace-with = "debian"\n\n'
        f'[source.debian]\ndirectory = "{REGISTRY}"\n\n[net]\noffline = true\n'
    )
    return root


def warm_page_cache(folders: list[Path]) -> int:
    """Read every file under ``folders`` once, so no run pays for a cold disk."""
    total = 0
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                total += len(path.read_bytes())
    return total


def disk(folder: Path) -> tuple[int, int]:
    """(bytes, files) under ``folder``."""
    files = [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
    return sum(p.stat().st_size for p in files), len(files)


def wait_indexed(daemon: BenchDaemon, root: Path, vectors: bool) -> tuple[dict[str, Any], float]:
    """The workspace's ``status`` once its graph is ready (and its vectors done, with
    ``vectors``), and the seconds until the graph was ready."""
    started = time.perf_counter()
    graph = 0.0
    while True:
        found = [w for w in daemon.request("status")["workspaces"] if w["root"] == str(root)]
        if found and found[0]["state"] == "ready":
            graph = graph or time.perf_counter() - started
            if not vectors or not found[0]["vectors"]["pending"]:
                return found[0], graph
        time.sleep(0.05)


def config_text(dependencies: bool, cache: Path) -> str:
    return f"dependencies: {'true' if dependencies else 'false'}\nlibrary_cache: {cache}\n"


def cold_index(daemon: BenchDaemon, root: Path, vectors: bool, settle: float, cache: Path) -> Run:
    pid = daemon.process.pid
    with Sampler(pid) as sampler:
        started = time.perf_counter()
        daemon.request("index", {"path": str(root), "wait": False})
        status, graph_s = wait_indexed(daemon, root, vectors)
        vectors_s = time.perf_counter() - started
    _, settled_group = settled(pid, settle)
    size, count = disk(cache)
    return Run(
        graph_s,
        vectors_s,
        sampler.peak_group,
        settled_group,
        dict(status["libraries"]),
        size,
        count,
        status,
    )


def second_index(
    daemon: BenchDaemon, root: Path, vectors: bool, settle: float
) -> tuple[float, int, dict[str, Any]]:
    """Index ``root`` in a daemon that has indexed regex: seconds, extra settled RSS,
    its ``status``."""
    before = group_rss(daemon.process.pid)[1]
    daemon.request("index", {"path": str(root), "wait": False})
    status, graph_s = wait_indexed(daemon, root, vectors)
    after = settled(daemon.process.pid, settle)[1]
    return graph_s, after - before, status


def edit_files(root: Path, count: int) -> list[tuple[Path, int]]:
    """``count`` (library file, offset after a function's opening line), at random."""
    found = []
    for path in sorted((root / "src").rglob("*.rs")):
        matches = list(FUNCTION.finditer(path.read_text()))
        if matches:
            found.append((path, random.Random(str(path)).choice(matches).end()))
    random.Random(17).shuffle(found)
    return found[:count]


def edits(daemon: BenchDaemon, root: Path, count: int) -> dict[str, list[float]]:
    """Body and structural edits, each saved and waited for by the client process."""
    times: dict[str, list[float]] = {"body": [], "added": [], "removed": []}
    sites = edit_files(root, count)
    originals = {path: path.read_text() for path, _ in sites}
    try:
        for n, (path, offset) in enumerate(sites):
            text = originals[path]
            body = f"{text[:offset]}        let _rustrag_body = {n};\n{text[offset:]}"
            times["body"].append(timed_save(daemon, root, path, body)[0])
            timed_save(daemon, root, path, text)
            added = (
                f"\npub fn rustrag_added_{n}() -> usize {{\n"
                "    let mut v: Vec<u32> = Vec::with_capacity(4);\n"
                "    v.push(1);\n    v.len()\n}\n"
            )
            times["added"].append(timed_save(daemon, root, path, text + added)[0])
            times["removed"].append(timed_save(daemon, root, path, text)[0])
    finally:
        for path, text in originals.items():
            path.write_text(text)
    return times


def mb(value: float) -> str:
    return f"{value / MB:7.1f} MB"


def med(samples: list[float]) -> float:
    return statistics.median(samples)


def summary(name: str, runs: list[Run], base: list[Run] | None, vectors: bool) -> None:
    graph = [r.graph_s for r in runs]
    ratio = f"  x{med(graph) / med([r.graph_s for r in base]):.2f}" if base else ""
    print(
        f"  {name:<22} graph ready median {med(graph):6.2f} s  p99 "
        f"{percentile(graph, 0.99):6.2f} s (n={len(runs)}){ratio}"
    )
    if vectors:
        done = [r.vectors_s for r in runs]
        ratio = f"  x{med(done) / med([r.vectors_s for r in base]):.2f}" if base else ""
        print(f"  {'':<22} vectors done median {med(done):6.2f} s{ratio}")
    peak = med([r.peak_group for r in runs])
    quiet = med([r.settled_group for r in runs])
    extra = ""
    if base:
        extra = (
            f"  (+{(peak - med([r.peak_group for r in base])) / MB:.1f} MB peak, "
            f"+{(quiet - med([r.settled_group for r in base])) / MB:.1f} MB settled)"
        )
    print(f"  {'':<22} group RSS peak {mb(peak)}, settled {mb(quiet)}{extra}")
    print(
        f"  {'':<22} daemon's last_index_ms median "
        f"{med([r.status['last_index_ms'] or 0 for r in runs]):.0f}, last_resolve_ms "
        f"{med([r.status['last_resolve_ms'] or 0 for r in runs]):.0f}"
    )
    last = runs[-1]
    libraries = last.libraries
    if "crates" in libraries:
        print(
            f"  {'':<22} libraries crates {libraries['crates']}, built {libraries['built']},"
            f" failed {len(libraries['failed'])}, std {libraries['std']}, missing "
            f"{libraries['missing']}, {libraries['bytes'] / MB:.1f} MB read, "
            f"took median {med([r.libraries['took_ms'] for r in runs]):.0f} ms"
        )
        print(
            f"  {'':<22} library cache on disk {last.cache_bytes / MB:.1f} MB "
            f"({last.cache_bytes} bytes), {last.cache_files} files"
        )
    else:
        print(f"  {'':<22} libraries {libraries}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/rustrag-practice"))
    parser.add_argument("--repeats", type=int, default=3, help="cold indexes per setting")
    parser.add_argument("--edits", type=int, default=10, help="files edited per setting")
    parser.add_argument("--settle", type=float, default=12.0, help="seconds before settled RSS")
    parser.add_argument(
        "--vectors", action="store_true", help="embeddings on; also time until vectors done"
    )
    options = parser.parse_args()
    if not CLIENT.exists():
        raise SystemExit(f"{CLIENT} is missing: install the project (pip install -e .)")
    std = std_sources()
    if std is None:
        raise SystemExit("no std sources (apt-get install rust-src)")
    os.environ.pop("RUSTRAG_SOCKET", None)
    os.environ.pop("RUSTRAG_DEPENDENCIES", None)
    base = Path(tempfile.mkdtemp(prefix="rrlib", dir="/tmp"))
    try:
        root = scratch_copy(options.corpus, base)
        second = second_workspace(base)
        warmed = warm_page_cache(
            [root, *(REGISTRY / d for d in DEPENDENCIES)]
            + [std.path / c for c in ("core", "alloc", "std")]
        )
        print(
            f"workspace {root} (regex 1.7.1 build copy); std {std.path} ({std.how}); "
            f"{warmed / MB:.0f} MB read to warm the page cache; vectors "
            f"{'on (graph ready and vectors done)' if options.vectors else 'off (graph ready)'}"
        )
        runs: dict[str, list[Run]] = {"off": [], "built": [], "read": []}
        later: dict[str, tuple[float, int, dict[str, Any]]] = {}
        edited: dict[str, dict[str, list[float]]] = {}
        for repeat in range(options.repeats):
            cache = base / f"cache{repeat}"
            for name, dependencies in (("off", False), ("built", True), ("read", True)):
                daemon = BenchDaemon(
                    embeddings=options.vectors, config=config_text(dependencies, cache)
                )
                try:
                    run = cold_index(daemon, root, options.vectors, options.settle, cache)
                    runs[name].append(run)
                    if repeat == options.repeats - 1 and name != "built":
                        later[name] = second_index(daemon, second, options.vectors, options.settle)
                        edited[name] = edits(daemon, root, options.edits)
                finally:
                    daemon.close()
        status = runs["off"][-1].status
        print(
            f"  {status['files']} files, {status['lines']} lines, {status['items']} items, "
            f"{status['edges']} edges without dependencies; "
            f"{runs['read'][-1].status['edges']} edges with them"
        )
        print("== 1. cold index, a fresh daemon each")
        summary("dependencies off", runs["off"], None, options.vectors)
        summary("on, cache empty", runs["built"], runs["off"], options.vectors)
        summary("on, cache filled", runs["read"], runs["off"], options.vectors)
        print("== 2. a second workspace on regex-syntax, aho-corasick, memchr, after regex")
        for name, label in (("off", "dependencies off"), ("read", "dependencies on")):
            seconds, extra, status = later[name]
            libraries = status["libraries"]
            built = (
                f", libraries crates {libraries['crates']} built {libraries['built']}"
                f" (read in {libraries['took_ms']:.0f} ms)"
                if "crates" in libraries
                else ""
            )
            print(
                f"  {label:<22} index {seconds * 1e3:7.1f} ms (last_resolve_ms "
                f"{status['last_resolve_ms']}), settled RSS {extra / MB:+.1f} MB{built}"
            )
        print(
            f"  {'':<22} extra for dependencies: "
            f"{(later['read'][0] - later['off'][0]) * 1e3:+.1f} ms, "
            f"{(later['read'][1] - later['off'][1]) / MB:+.1f} MB"
        )
        print(f"== 3. edits of regex files -> client `wait` returned ({options.edits} files)")
        for kind in ("body", "added", "removed"):
            on, off = edited["read"][kind], edited["off"][kind]
            print(
                f"  {kind:<8} off p50 {percentile(off, 0.5) * 1e3:6.1f} ms p90 "
                f"{percentile(off, 0.9) * 1e3:6.1f} ms | on p50 {percentile(on, 0.5) * 1e3:6.1f}"
                f" ms p90 {percentile(on, 0.9) * 1e3:6.1f} ms  (x{med(on) / med(off):.2f})"
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
