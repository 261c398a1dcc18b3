"""Edit-to-queryable latency of the live index, and the work a branch switch costs.

On a workspace of >= 100k lines (the one bench/ask_latency.py builds), makes
N scripted single-function edits (a statement added to a function body, then
reverted) and prints, through the real client's `wait`:
  * edit-to-queryable latency (file written -> `wait` returns), p50/p99
  * the daemon's own time per delta after the debounce until it is queryable (read,
    parse, diff, apply, index, resolve, graph apply), p50/p99, and the store writes
    that run after it
  * items re-embedded per edit and the share of the file's items skipped
Then switches between two git branches that differ in 500 files and compares
its time and work with a cold index.

Usage: python bench/live_edits.py [--edits 200] [--state DIR] [--workspace DIR]
       [--branch-files 500] [--recipe full] [--settle]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import subprocess
import time
from pathlib import Path

from harness import BenchDaemon, describe

FUNCTION = re.compile(r"^(\s*)(pub(\([^)]*\))? )?fn \w+[^;{]*\{\s*$")


def edit_sites(root: Path, count: int) -> list[tuple[Path, int]]:
    """``count`` (file, line) pairs: single-line `fn ... {` openings of function bodies."""
    sites = []
    for path in sorted(root.rglob("*.rs")):
        if "/tests/" in str(path) or "/target/" in str(path):
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines()):
            if FUNCTION.match(line):
                sites.append((path, number))
    random.Random(7).shuffle(sites)
    return sites[:count]


def status(daemon: BenchDaemon, root: Path) -> dict:
    return daemon.workspace(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--state", type=Path)
    parser.add_argument("--workspace", type=Path, default=Path("/tmp/rustrag-bench-100k"))
    parser.add_argument("--branch-files", type=int, default=500)
    parser.add_argument(
        "--recipe",
        default="",
        help="embedding recipe (default: the daemon's; `full` embeds bodies, so a body"
        " edit re-embeds its item)",
    )
    parser.add_argument(
        "--settle",
        action="store_true",
        help="before each edit, wait until the last one's store writes have landed (saves"
        " seconds apart, as an editor makes them); by default edits follow each other at"
        " once and overlap those writes",
    )
    options = parser.parse_args()
    root = options.workspace
    if not root.exists():
        raise SystemExit(f"{root} is missing: run bench/ask_latency.py first (it builds it)")
    config = f"embed_recipe: {options.recipe}\n" if options.recipe else ""
    daemon = BenchDaemon(embeddings=True, state=options.state, config=config)
    try:
        daemon.request("index", {"path": str(root), "wait": True})
        base = status(daemon, root)
        print(
            f"workspace {root}: {base['files']} files, {base['lines']} lines, {base['items']} items"
        )
        latencies, inside, reembedded, skipped_share = [], [], [], []
        stages: dict[str, list[float]] = {}
        sizes: list[int] = []  # lines of the edited file, per delta
        for path, line in edit_sites(root, options.edits):
            original = path.read_text()
            lines = original.splitlines(keepends=True)
            indent = re.match(r"\s*", lines[line]).group() + "    "
            lines.insert(line + 1, f"{indent}let _rustrag_bench = {len(latencies)};\n")
            for text in ("".join(lines), original):
                while options.settle and status(daemon, root)["live"]["store_pending"]:
                    time.sleep(0.005)
                before = daemon.request("status")["embeddings"]["embedded_since_start"]
                started = time.perf_counter()
                path.write_text(text)
                daemon.request("wait", {}, root=str(root))
                latencies.append(time.perf_counter() - started)
                after = daemon.request("status")
                live = next(w for w in after["workspaces"] if w["root"] == str(root))["live"]
                inside.append(sum(live["last_ms"].values()) / 1000)
                sizes.append(original.count("\n"))
                waited = ("(wait before)", live["last_wait_ms"])
                behind = [(f"(store after) {k}", ms) for k, ms in live["store_ms"].items()]
                for stage, ms in [*live["last_ms"].items(), waited, *behind]:
                    stages.setdefault(stage, []).append(ms / 1000)
                reembedded.append(after["embeddings"]["embedded_since_start"] - before)
            file_items = len(
                daemon.request("symbols", {"path": str(path)}, root=str(root))["results"]
            )
            skipped_share.append(1 - reembedded[-2] / max(1, file_items))
        edits = latencies[0::2]
        print(f"edit -> queryable (client wait)   {describe(edits)}")
        print(f"revert -> queryable (cache hit)   {describe(latencies[1::2])}")
        print(f"daemon time per delta (no debounce) {describe(inside)}")
        for low, high in ((0, 500), (500, 2000), (2000, 10**9)):
            picked = [t for t, n in zip(inside, sizes, strict=True) if low <= n < high]
            label = f"{low}-{high}" if high < 10**9 else f"{low}+"
            if picked:
                print(f"  files of {label} lines: {describe(picked)}")
        for stage, seconds in stages.items():
            print(f"  stage {stage:<24} {describe(seconds)}")
        print(
            f"items re-embedded per edit: median {statistics.median(reembedded[0::2]):.0f}, "
            f"max {max(reembedded[0::2])}; per revert: max {max(reembedded[1::2])} (cache); "
            f"share of the file's items skipped: median {statistics.median(skipped_share):.3f}"
        )
        live = status(daemon, root)["live"]
        print(f"live totals: {live}")
        if options.branch_files:
            branch_switch(daemon, root, options.branch_files)
    finally:
        daemon.close()


def branch_switch(daemon: BenchDaemon, root: Path, files: int) -> None:
    """Two branches differing in ``files`` files: switch twice, compare with a cold index."""
    git = ["git", "-C", str(root), "-c", "user.email=b@b", "-c", "user.name=b"]
    if not (root / ".git").exists():
        subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-qm", "base"], check=True)
    subprocess.run([*git, "checkout", "-q", "-B", "wide"], check=True)
    sources = sorted(p for p in root.rglob("*.rs") if ".git" not in p.parts)[:files]
    for n, path in enumerate(sources):
        path.write_text(path.read_text() + f"\npub fn rustrag_branch_{n}() -> u32 {{ {n} }}\n")
    # Fewer files than asked for: the branch adds the rest as new modules of the first crate.
    crate = next(p.parent for p in sorted(root.glob("*/src/lib.rs")))
    added = [crate / f"rustrag_branch_{n}.rs" for n in range(files - len(sources))]
    if added:
        declared = "".join(f"pub mod {p.stem};\n" for p in added)
        (crate / "lib.rs").write_text((crate / "lib.rs").read_text() + declared)
    for n, path in enumerate(added):
        path.write_text(
            f"/// Branch module {n}.\npub struct Branch{n} {{ pub value: u32 }}\n\n"
            f"impl Branch{n} {{\n    pub fn value(&self) -> u32 {{ self.value + {n} }}\n}}\n"
        )
    subprocess.run([*git, "add", "-A"], check=True)
    sources = sources + added
    subprocess.run([*git, "commit", "-qam", "wide"], check=True)
    subprocess.run([*git, "checkout", "-q", "main"], check=True)
    daemon.request("wait", {}, root=str(root))
    for target in ("wide", "main"):
        before = daemon.request("status")["embeddings"]["embedded_since_start"]
        started = time.perf_counter()
        subprocess.run([*git, "checkout", "-q", target], check=True)
        daemon.request("wait", {}, root=str(root))
        took = time.perf_counter() - started
        embedded = daemon.request("status")["embeddings"]["embedded_since_start"] - before
        print(f"checkout {target} ({len(sources)} files differ): {took:.2f} s, {embedded} embedded")
    cold = root.parent / (root.name + "-cold")
    shutil.rmtree(cold, ignore_errors=True)
    shutil.copytree(root, cold, ignore=shutil.ignore_patterns(".git"))
    started = time.perf_counter()
    daemon.request("index", {"path": str(cold), "wait": False})
    graph_s = None
    while True:
        w = status(daemon, cold)
        if graph_s is None and w["state"] == "ready":
            graph_s = time.perf_counter() - started
        if w["state"] == "ready" and not w["vectors"]["pending"]:
            break
        time.sleep(0.05)
    print(
        f"cold index of the same tree (a new workspace): graph {graph_s:.2f} s, with embeddings "
        f"{time.perf_counter() - started:.2f} s, {w['vectors']['embedded']} embedded"
    )
    daemon.request("forget", {"path": str(cold)})
    shutil.rmtree(cold, ignore_errors=True)


if __name__ == "__main__":
    main()
