"""Latency of structural edits (an item added, renamed, removed) until `wait` returns.

On the workspace bench/ask_latency.py builds (>= 100k lines), once its cold index and
its embeddings are done, in ``--files`` different files: appends a function that calls
one of the file's own (added), renames it (renamed), deletes it (removed), each saved
and followed by the real `rustrag-client wait` process. Then, as the baseline in the
same daemon, the same number of body edits (a statement added to a function, then
reverted). Prints, per kind and for all structural edits, edit -> `wait` returned
p50/p90/p99, the daemon's per-stage times, and how many edits the daemon resolved in
full.

Usage: python bench/structural_edits.py [--files 10] [--state DIR] [--workspace DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from harness import BenchDaemon, describe, percentile

#: A single-line function opening, at file or impl level.
FUNCTION = re.compile(r"(?m)^(\s*)(?:pub(?:\([^)]*\))? )?fn (\w+)[^;{]*\{\s*$")
CLIENT = Path(sys.executable).with_name("rustrag-client")


def pick_files(root: Path, count: int) -> list[Path]:
    """``count`` library files with a top-level function (not tests), picked at random."""
    found = []
    for path in sorted(root.rglob("*.rs")):
        if "/tests/" in str(path) or "/target/" in str(path):
            continue
        if any(m.group(1) == "" for m in FUNCTION.finditer(path.read_text(errors="replace"))):
            found.append(path)
    random.Random(11).shuffle(found)
    return found[:count]


def live(daemon: BenchDaemon, root: Path) -> dict[str, Any]:
    return dict(daemon.workspace(root)["live"])


def timed_save(
    daemon: BenchDaemon, root: Path, path: Path, text: str
) -> tuple[float, dict[str, Any]]:
    """Save ``text`` and run `rustrag-client wait`: seconds until it returned, live stats."""
    env = dict(daemon.env)
    started = time.perf_counter()
    path.write_text(text)
    subprocess.run(
        [str(CLIENT), "--root", str(root), "wait"], env=env, check=True, stdout=subprocess.DEVNULL
    )
    took = time.perf_counter() - started
    return took, live(daemon, root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--state", type=Path)
    parser.add_argument("--workspace", type=Path, default=Path("/tmp/rustrag-bench-100k"))
    options = parser.parse_args()
    root: Path = options.workspace
    if not root.exists():
        raise SystemExit(f"{root} is missing: run bench/ask_latency.py first (it builds it)")
    if not CLIENT.exists():
        raise SystemExit(f"{CLIENT} is missing: install the project (pip install -e .)")
    os.environ.pop("RUSTRAG_SOCKET", None)
    daemon = BenchDaemon(embeddings=True, state=options.state)
    files = pick_files(root, options.files)
    originals = {path: path.read_text() for path in files}
    try:
        daemon.request("index", {"path": str(root), "wait": True})
        while daemon.workspace(root)["vectors"][
            "pending"
        ]:  # edits in the steady state, not beside a cold
            time.sleep(0.5)  # index's embeddings
        before = live(daemon, root)
        print(f"workspace {root}: {len(files)} files edited, 3 structural edits each")
        times: dict[str, list[float]] = {"added": [], "renamed": [], "removed": [], "body": []}
        stages: dict[str, list[float]] = {}
        for n, path in enumerate(files):
            text = originals[path]
            callee = next(m.group(2) for m in FUNCTION.finditer(text) if m.group(1) == "")
            added = f"\npub fn rustrag_added_{n}() -> u32 {{\n    let _ = {callee};\n    0\n}}\n"
            steps = {
                "added": text + added,
                "renamed": text + added.replace("rustrag_added_", "rustrag_renamed_"),
                "removed": text,
            }
            for kind, edited in steps.items():
                took, stats = timed_save(daemon, root, path, edited)
                times[kind].append(took)
                for stage, ms in stats["last_ms"].items():
                    stages.setdefault(stage, []).append(ms / 1000)
        structural = live(daemon, root)
        for path in files:  # the baseline: body edits of the same files
            text = originals[path]
            match = next(m for m in FUNCTION.finditer(text) if m.group(1) == "")
            body = f"{text[: match.end()]}    let _rustrag_body = 1;\n{text[match.end() :]}"
            times["body"].append(timed_save(daemon, root, path, body)[0])
            timed_save(daemon, root, path, text)
        after = live(daemon, root)
        every = times["added"] + times["renamed"] + times["removed"]
        for kind, samples in times.items():
            print(f"{kind:<8} edit -> wait returned (client process)  {describe(samples)}")
        print(
            f"structural edits: p50 {percentile(every, 0.5) * 1e3:.1f} ms, "
            f"p90 {percentile(every, 0.9) * 1e3:.1f} ms, p99 {percentile(every, 0.99) * 1e3:.1f} ms"
            f" (n={len(every)}); ratio of medians to body edits "
            f"{percentile(every, 0.5) / percentile(times['body'], 0.5):.2f}"
        )
        for stage, seconds in stages.items():
            print(f"  stage {stage:<14} {describe(seconds)}")
        for kind in ("resolutions_full", "resolutions_incremental"):
            print(
                f"{kind}: structural {structural[kind] - before[kind]}, "
                f"body {after[kind] - structural[kind]}"
            )
    finally:
        for path, text in originals.items():
            path.write_text(text)
        daemon.close()


if __name__ == "__main__":
    main()
