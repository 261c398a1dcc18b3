"""In-memory item delta and incremental re-parse timings on real files.

For every ``.rs`` file of a crate (default: /tmp/rustrag-practice/regex) with
at least one function body, two edits are extracted (outside the timing):
(a) one statement added on the first line of a function body (same line
count), (b) three lines inserted at the top of the file. Then
``diff_items(old, new)`` is timed; printed per changed item and per item of
the file (median, p99 over files). Last, incremental vs full parse of a
one-line edit in regex-syntax's src/ast/parse.rs.

Usage:
  python bench/delta.py [--crate PATH] [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from rustragd.delta import diff_items
from rustragd.model import Item
from rustragd.project.walker import rust_sources
from rustragd.syntax.extract import extract_file
from rustragd.syntax.parser import parse
from rustragd.syntax.tree_cache import TreeCache

PRACTICE = Path("/tmp/rustrag-practice")


def body_edit(source: bytes, items: list[Item]) -> bytes | None:
    """``source`` with ``let _ = 0;`` appended to the first line of the largest function body."""
    functions = [i for i in items if i.kind in ("function", "method") and i.end_line > i.start_line]
    if not functions:
        return None
    target = max(functions, key=lambda i: i.end_line - i.start_line)
    lines = source.split(b"\n")
    row = target.start_line - 1
    while row < target.end_line - 1 and not lines[row].rstrip().endswith(b"{"):
        row += 1
    if row >= target.end_line - 1:
        return None
    lines[row] += b" let _ = 0;"
    return b"\n".join(lines)


def top_insert(source: bytes, items: list[Item]) -> bytes:
    """``source`` with three lines inserted at the top."""
    return b"// inserted\n// lines\n\n" + source


def time_diff(old: list[Item], new: list[Item], repeat: int) -> tuple[float, int]:
    """Best-of-``repeat`` seconds of one ``diff_items`` call, and its changed-item count."""
    best = float("inf")
    delta = diff_items(old, new)
    for _ in range(repeat):
        start = time.perf_counter()
        diff_items(old, new)
        best = min(best, time.perf_counter() - start)
    return best, delta.changed


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_case(
    crate: Path, name: str, edit: Callable[[bytes, list[Item]], bytes | None], repeat: int
) -> None:
    per_changed: list[float] = []
    per_item: list[float] = []
    calls: list[float] = []
    changed_counts: list[int] = []
    for rel in rust_sources(crate):
        source = (crate / rel).read_bytes()
        module = ["regex", *Path(rel).with_suffix("").parts[1:]]
        old = extract_file(rel, source, module).items
        if not old:
            continue
        edited = edit(source, old)
        if edited is None:
            continue
        new = extract_file(rel, edited, module).items
        seconds, changed = time_diff(old, new, repeat)
        calls.append(seconds)
        changed_counts.append(changed)
        per_changed.append(seconds / max(changed, 1))
        per_item.append(seconds / len(old))
    us = 1e6
    print(
        f"{name}: {len(calls)} files; diff call median {statistics.median(calls) * us:.1f} us, "
        f"p99 {pct(calls, 0.99) * us:.1f} us; changed items/file median "
        f"{statistics.median(changed_counts):.0f}"
    )
    print(
        f"  per changed item: median {statistics.median(per_changed) * us:.2f} us, "
        f"p99 {pct(per_changed, 0.99) * us:.2f} us"
    )
    print(
        f"  per item in file: median {statistics.median(per_item) * us:.3f} us, "
        f"p99 {pct(per_item, 0.99) * us:.3f} us"
    )


def run_parse(path: Path, repeat: int) -> None:
    source = path.read_bytes()
    middle = source.index(b"\n", len(source) // 2) + 1
    edited = source[:middle] + b"        let _unused = 1;\n" + source[middle:]
    full: list[float] = []
    incremental: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        parse(edited)
        full.append(time.perf_counter() - start)
        cache = TreeCache()
        cache.reparse("f.rs", source)
        start = time.perf_counter()
        cache.reparse("f.rs", edited)
        incremental.append(time.perf_counter() - start)
    ms = 1e3
    print(
        f"parse {path.name} ({len(source)} bytes, one line added mid-file): full median "
        f"{statistics.median(full) * ms:.2f} ms, incremental (edit diff + tree.edit + parse) "
        f"median {statistics.median(incremental) * ms:.2f} ms, "
        f"p99 {pct(incremental, 0.99) * ms:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crate", type=Path, default=PRACTICE / "regex")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    run_case(args.crate, "(a) one-function body edit", body_edit, args.repeat)
    run_case(args.crate, "(b) 3 lines inserted at the top", top_insert, args.repeat)
    run_parse(PRACTICE / "regex-syntax" / "src" / "ast" / "parse.rs", 30)


if __name__ == "__main__":
    main()
