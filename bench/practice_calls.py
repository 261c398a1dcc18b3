"""Call edges against rust-analyzer on the practice crates' offline build copies.

    python bench/practice_calls.py [--corpus /tmp/rustrag-practice] [--cache DIR] [crates...]

Needs the call truth of the practice kit (``../shared/practice/calls/README.md``:
``bash ../shared/practice/calls/build_calls_truth.sh .venv/bin/python``), which writes
``CORPUS/_calls/<crate>/`` and ``CORPUS/_calls/<crate>.truth.json``. Each build copy is
extracted and resolved as the daemon does it, twice: names stopping at the workspace
(before dependencies), and resolving into its dependencies and std (the interfaces
built into ``--cache``, once). Every ``calls`` edge is written as ``callees --json``
prints it and scored with the kit's ``score_calls.py``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rustragd.graph.library import LibraryBlobs, library_items
from rustragd.graph.resolve import resolve_workspace
from rustragd.index.libraries import build_library, cache_path, library_sources
from rustragd.model import Edge
from rustragd.project.cargo_sources import dependency_graph
from rustragd.project.crates import discover_crates, placements
from rustragd.project.walker import rust_sources
from rustragd.syntax.extract import extract_file

CRATES = ("regex", "regex-syntax", "serde", "serde_json")
SCORER = Path(__file__).resolve().parents[1].parent / "shared/practice/calls/score_calls.py"
FIGURES = (
    "exact_precision",
    "local_recall_exact",
    "local_recall_any",
    "external_resolved_exact",
    "external_guessed_or_wrong",
)


def libraries(root: Path, cache: Path) -> tuple[LibraryBlobs, float]:
    """The build copy's libraries, built into ``cache`` when not there (seconds taken)."""
    started = time.perf_counter()
    found = library_sources(dependency_graph(root))
    blobs = []
    for source in found.sources:
        path = cache_path(cache, source)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(build_library(source))
        blobs.append(path.read_bytes())
    return LibraryBlobs(tuple(blobs), found.links), time.perf_counter() - started


def edge_rows(edges: list[Edge], targets: dict[int, tuple[str, int, str]]) -> list[dict[str, Any]]:
    """The ``calls`` edges as ``callees --json`` gives them."""
    rows = []
    for edge in edges:
        if edge.rel != "calls":
            continue
        path, line, qualified = targets.get(edge.dst, ("", 0, ""))
        rows.append(
            {
                "site_path": edge.path,
                "site_line": edge.line,
                "written": edge.target,
                "confidence": edge.confidence,
                "path": path if edge.dst else "",
                "start_line": line,
                "qualified_name": qualified,
            }
        )
    return rows


def score(truth: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as out:
        out.writelines(json.dumps(row) + "\n" for row in rows)
    done = subprocess.run(
        [sys.executable, str(SCORER), str(truth), out.name, "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    Path(out.name).unlink()
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/rustrag-practice"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/rustrag-bench-libraries"))
    parser.add_argument("--examples", type=int, default=0, help="wrong exact edges to print")
    parser.add_argument("crates", nargs="*", default=list(CRATES))
    options = parser.parse_args()
    print(f"{'crate':14} {'run':8} " + " ".join(f"{f[:22]:>22}" for f in FIGURES) + "  resolve")
    for crate in options.crates:
        root = options.corpus / "_calls" / crate
        truth = options.corpus / "_calls" / f"{crate}.truth.json"
        if not truth.exists():
            print(f"{crate}: no truth at {truth} (run build_calls_truth.sh)")
            continue
        files = list(rust_sources(root))
        placed = placements(root, discover_crates(root), files)
        gates = {f: p.gate for f, p in placed.items() if p.gate}
        extracts = [extract_file(f, (root / f).read_bytes(), placed[f].module) for f in files]
        facts = [(e.path, e.facts) for e in extracts]
        local = {i.id: (i.path, i.start_line, i.qualified_name) for e in extracts for i in e.items}
        blobs, build_s = libraries(root, options.cache)
        outside = {
            ident: (item.path, item.line, item.qualified_name)
            for ident, item in library_items(blobs).items()
        }
        for run, libs in (("before", None), ("after", blobs)):
            started = time.perf_counter()
            resolution = resolve_workspace(facts, libs, gates)
            seconds = time.perf_counter() - started
            targets = {**outside, **local} if libs is not None else local
            made = resolution.items
            targets.update((i.id, (i.path, i.start_line, i.qualified_name)) for i in made)
            figures = score(truth, edge_rows(resolution.edges, targets))
            print(
                f"{crate:14} {run:8} "
                + " ".join(f"{figures[f]:22.3f}" for f in FIGURES)
                + f"  {seconds:.2f} s"
            )
            if run == "after":
                print(f"{'':14} counts {figures['counts']}")
                for example in figures["wrong_examples"][: options.examples]:
                    print(f"{'':14} wrong {example}")
        print(f"{'':14} libraries {len(blobs.blobs)} ({build_s:.1f} s to build or read)")


if __name__ == "__main__":
    main()
