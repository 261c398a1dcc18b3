"""Score impls/methods answers computed straight from the resolver (no daemon).

    python bench/practice_structure.py [--corpus /tmp/rustrag-practice] [--visible-only]
        [--exclude-tests] [crates...]

Extracts and resolves each practice crate, answers every truth trait with
:func:`rustragd.graph.structure.impls_of` and every truth type with
:func:`rustragd.graph.structure.methods_of` (inherent methods only, as the truth
lists), and runs the practice kit's ``score.py structure``. ``--exclude-tests``
leaves test code out of both, as the ops' ``exclude_tests`` does (rustdoc lists no
``#[cfg(test)]`` impl).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from rustragd.graph.resolve import resolve_workspace
from rustragd.graph.structure import impls_of, methods_of
from rustragd.model import Item
from rustragd.project.crates import discover_crates, placements
from rustragd.project.scope import ItemScope
from rustragd.project.walker import rust_sources
from rustragd.syntax.extract import extract_file

CRATES = ("regex", "regex-syntax", "serde", "serde_json")
KIT = Path("/work/shared/practice")


class _Placed(NamedTuple):
    module: str
    target: str
    gate: str = ""


def _not_test(items: list[Item], placed: dict[str, _Placed]) -> Callable[[Item], bool]:
    """What keeps the items that are not test code (as the daemon's ``exclude_tests``)."""
    named: dict[str, list[Item]] = {}
    for item in items:
        named.setdefault(item.qualified_name, []).append(item)
    scope = ItemScope({i.id: i for i in items}, placed, lambda name: named.get(name, ()))
    return lambda item: not scope.is_test(item)


def answers(
    root: Path, truth: dict[str, list[dict[str, object]]], exclude_tests: bool = False
) -> tuple[list[str], float]:
    files = list(rust_sources(root))
    placed = placements(root, discover_crates(root), files)
    extracts = [extract_file(f, (root / f).read_bytes(), placed[f].module) for f in files]
    started = time.perf_counter()
    resolution = resolve_workspace([(e.path, e.facts) for e in extracts])
    seconds = time.perf_counter() - started
    items: list[Item] = [i for e in extracts for i in e.items] + resolution.items
    edges = resolution.edges
    files_placed = {f: _Placed("::".join(p.module), p.target) for f, p in placed.items()}
    keep = _not_test(items, files_placed) if exclude_tests else None
    definitions = {t.fingerprint: t.definition for t in resolution.types if t.definition}

    def heads(fingerprints: set[str]) -> dict[str, int]:
        return {f: definitions[f] for f in fingerprints if f in definitions}

    lines = []
    for trait in truth["traits"]:
        found = impls_of(str(trait["name"]), items, edges, str(trait["path"]), keep)
        rows = [
            {"type": f["type"], "path": f["path"], "start_line": f["start_line"]} for f in found
        ]
        lines.append(json.dumps({"trait": trait["name"], "impls": rows}))
    for ty in truth["types"]:
        name = str(ty["name"])
        methods, traits = methods_of(name, items, edges, str(ty["path"]), heads, keep)
        inherent = sorted({str(m["name"]) for m in methods if not m["via_trait"]})
        lines.append(
            json.dumps({"type": name, "path": ty["path"], "methods": inherent, "traits": traits})
        )
    return lines, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", type=Path, default=Path("/tmp/rustrag-practice"))
    ap.add_argument("--visible-only", action="store_true")
    ap.add_argument("--exclude-tests", action="store_true", help="leave test code out")
    ap.add_argument("crates", nargs="*", default=list(CRATES))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for crate in args.crates:
            truth_path = KIT / "truth" / f"{crate}.json"
            truth = json.loads(truth_path.read_text())
            lines, seconds = answers(args.corpus / crate, truth, args.exclude_tests)
            out = Path(tmp) / f"{crate}.jsonl"
            out.write_text("\n".join(lines) + "\n")
            print(f"== {crate}: resolve {seconds * 1000:.0f} ms", flush=True)
            cmd = [sys.executable, str(KIT / "score.py"), "structure", "--truth", str(truth_path)]
            cmd += ["--answers", str(out)] + (["--visible-only"] if args.visible_only else [])
            subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
