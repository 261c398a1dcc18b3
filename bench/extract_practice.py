"""Extract the practice crates with rustragd's extractor; print symbol recall and speed.

    python bench/extract_practice.py [--corpus /tmp/rustrag-practice] [--runs 5] [--misses 20]

For each crate: every ``.rs`` file is parsed and extracted in this process
(timing: median of ``--runs`` passes, one core), the items are written as
symbols JSONL and scored by the practice kit's ``score.py symbols`` against
ctags and rustdoc (visible items), per kind.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rustragd.model import FileExtract
from rustragd.project.crates import discover_crates, module_path_for
from rustragd.syntax.extract import extract_file

CRATES = ("regex", "regex-syntax", "serde", "serde_json")
KIT = Path("/work/shared/practice")


def sources(root: Path) -> dict[str, bytes]:
    """Workspace-relative path -> bytes of every ``.rs`` file (target/ and .git/ skipped)."""
    found = {}
    for path in sorted(root.rglob("*.rs")):
        rel = path.relative_to(root).as_posix()
        if not {"target", ".git"} & set(rel.split("/")):
            found[rel] = path.read_bytes()
    return found


def extract_all(root: Path, files: dict[str, bytes]) -> list[FileExtract]:
    crates = discover_crates(root)
    return [extract_file(rel, src, module_path_for(crates, rel)) for rel, src in files.items()]


def timed(root: Path, files: dict[str, bytes], runs: int) -> tuple[float, list[FileExtract]]:
    """Median seconds of ``runs`` full extractions, and the last result."""
    times = []
    result: list[FileExtract] = []
    for _ in range(runs):
        start = time.perf_counter()
        result = extract_all(root, files)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def score(crate: str, answers: Path) -> dict[str, dict[str, object]]:
    cmd = [
        sys.executable,
        str(KIT / "score.py"),
        "symbols",
        "--json",
        "--truth",
        str(KIT / "truth" / f"{crate}.json"),
        "--ctags",
        str(KIT / "truth" / f"{crate}.ctags.json"),
        "--answers",
        str(answers),
    ]
    result: dict[str, dict[str, object]] = json.loads(
        subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    )
    return result


def misses(crate: str, rows: list[dict[str, object]], limit: int) -> None:
    """Print up to ``limit`` truth symbols per reference that no answer matches."""
    have = {(r["path"], r["name"], r["line"]) for r in rows}
    ctags = json.loads((KIT / "truth" / f"{crate}.ctags.json").read_text())
    truth = json.loads((KIT / "truth" / f"{crate}.json").read_text())["items"]
    refs = {
        "ctags": [(t["path"], t["name"], t["line"], t["kind"]) for t in ctags],
        "rustdoc": [
            (t["path"], t["name"], t["start_line"], t["kind"])
            for t in truth
            if t.get("visible", True) and not t.get("derived")
        ],
    }
    for ref, wanted in refs.items():
        lost = [w for w in wanted if not any((w[0], w[1], w[2] + d) in have for d in (-1, 0, 1))]
        for path, name, line, kind in lost[:limit]:
            print(f"    miss {ref:7s} {kind:12s} {path}:{line} {name}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", type=Path, default=Path("/tmp/rustrag-practice"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--misses", type=int, default=0, help="print this many misses per reference")
    ap.add_argument("crates", nargs="*", default=list(CRATES))
    args = ap.parse_args()
    total_lines = total_items = 0
    total_time = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for crate in args.crates:
            root = args.corpus / crate
            files = sources(root)
            seconds, extracts = timed(root, files, args.runs)
            lines = sum(f.lines for f in extracts)
            items = sum(len(f.items) for f in extracts)
            total_lines, total_items, total_time = (
                total_lines + lines,
                total_items + items,
                total_time + seconds,
            )
            rows: list[dict[str, object]] = [
                {"path": i.path, "line": i.start_line, "name": i.name, "kind": i.kind}
                for f in extracts
                for i in f.items
            ]
            answers = Path(tmp) / f"{crate}.jsonl"
            answers.write_text("".join(json.dumps(r) + "\n" for r in rows))
            result = score(crate, answers)
            print(
                f"{crate}: {len(files)} files, {lines} lines, {items} items, "
                f"{seconds * 1000:.0f} ms (median of {args.runs}): "
                f"{lines / seconds:,.0f} lines/s, {items / seconds:,.0f} items/s, "
                f"errors {sum(f.error_count for f in extracts)}"
            )
            for ref in ("ctags", "rustdoc"):
                res = result[ref]
                kinds = res["by_kind"]
                assert isinstance(kinds, dict)
                per = "  ".join(
                    f"{k} {v['recall']:.3f} ({v['found']}/{v['truth']})" for k, v in kinds.items()
                )
                total = f"{res['recall']:.3f} ({res['found']}/{res['truth']})"
                print(f"  recall vs {ref:7s} {total}: {per}")
            if args.misses:
                misses(crate, rows, args.misses)
    print(
        f"ALL: {total_lines} lines, {total_items} items, {total_time:.3f} s: "
        f"{total_lines / total_time:,.0f} lines/s, {total_items / total_time:,.0f} items/s"
    )


if __name__ == "__main__":
    main()
