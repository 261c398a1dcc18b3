"""How many type names a string-keyed map would conflate, and how many fingerprints tell apart.

    python bench/type_conflation.py [--corpus /tmp/rustrag-practice] [--examples N] [crates...]

Each practice crate directory is one workspace (its library plus its tests,
examples and benches targets), extracted and resolved as the daemon does.
What is counted, per workspace:

* A *definition* is a local struct, enum, union, trait or type alias (items in
  function bodies included; associated types of traits and impls are not: they
  are reached through ``Self::``/``T::`` projections, not by name), identified
  by its qualified name (``#[cfg]`` twins at one path are one definition). Its
  *textual name* is its last segment (``Error``), the key a plain map would use.
* A *reference* to name X is a ``uses_type`` edge (a path inside a type in a
  signature, field, impl header or alias): ``exact``/``ambiguous`` edges whose
  target definition is named X, and ``unresolved`` edges whose written path ends
  in X. Renamed imports (``use a::Error as AError``) count under the
  definition's name, not the alias.
* **conflated**: names X carried by two or more definitions (different qualified
  names, hence different modules); a map keyed by the text merges them.
* **told apart**: conflated names whose ``exact`` references reach two or more
  of those definitions. Each such reference's fingerprint is of a canonical
  text that spells the definition's qualified path (checked: ``violations``
  counts exact references whose type record does not), so the type table keeps
  the meanings apart where the string map has one entry.
* **clean**: told-apart names with no ``ambiguous`` reference (one whose
  fingerprint spells the written name, shared by every candidate). Single-segment
  ``unresolved`` references (``Result`` from the prelude or a foreign glob) are
  shown per name, not held against it.
* Not counted as references: trait bounds (``R: Replacer``, supertraits, where
  clauses), which the resolver does not record as ``uses_type``; a conflated
  trait used only in bounds is therefore never "told apart".
* **with external** (approximate): names whose references have two or more
  meanings counting, besides local definitions, every distinct written path of a
  multi-segment unresolved reference starting with a module (``fmt::Error``,
  ``std::io::Error``; not ``Self::Item``, ``D::Error``); textual, so one
  external type spelled two ways counts twice.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rustragd.graph.resolve import resolve_workspace
from rustragd.model import Edge, Item, TypeRecord
from rustragd.project.crates import discover_crates, module_paths
from rustragd.project.walker import rust_sources
from rustragd.syntax.extract import extract_file

CRATES = ("regex", "regex-syntax", "serde", "serde_json")
TYPE_KINDS = frozenset({"struct", "enum", "union", "trait", "type_alias"})


@dataclass
class NameStats:
    """References to one textual type name."""

    definitions: set[str] = field(default_factory=set)
    exact: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    ambiguous: int = 0
    unresolved_local: int = 0
    external: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def resolve_root(root: Path) -> tuple[list[Item], list[Edge], list[TypeRecord], int]:
    """Items, edges and type records of one workspace, and its source line count."""
    files = list(rust_sources(root))
    modules = module_paths(root, discover_crates(root), files)
    extracts = [extract_file(f, (root / f).read_bytes(), modules[f]) for f in files]
    resolution = resolve_workspace([(e.path, e.facts) for e in extracts])
    items = [i for e in extracts for i in e.items] + resolution.items
    return items, resolution.edges, resolution.types, sum(e.lines for e in extracts)


def name_stats(
    items: list[Item], edges: list[Edge], types: list[TypeRecord]
) -> tuple[dict[str, NameStats], int]:
    """Per textual name: its definitions and references; and the fingerprint violations."""
    kinds = {i.id: i.kind for i in items}
    by_id = {
        i.id: i
        for i in items
        if i.kind in TYPE_KINDS and kinds.get(i.parent) not in ("trait", "impl")
    }
    canonical = {t.fingerprint: t.canonical for t in types}
    stats: dict[str, NameStats] = defaultdict(NameStats)
    for item in by_id.values():
        stats[item.name].definitions.add(item.qualified_name)
    violations = 0
    for edge in edges:
        if edge.rel != "uses_type":
            continue
        found = by_id.get(edge.dst) if edge.dst else None
        if found is not None:
            entry = stats[found.name]
            if edge.confidence == "exact":
                entry.exact[found.qualified_name] += 1
                if found.qualified_name not in canonical.get(edge.extra, ""):
                    violations += 1
            else:
                entry.ambiguous += 1
        elif edge.confidence == "unresolved":
            written = edge.target
            entry = stats[written.rpartition("::")[2]]
            if "::" in written and written[0].islower():
                entry.external[written] += 1
            else:
                entry.unresolved_local += 1
    return stats, violations


def report(crate: str, root: Path, examples: int) -> None:
    """Print one workspace's figures and a few examples."""
    started = time.perf_counter()
    items, edges, types, lines = resolve_root(root)
    seconds = time.perf_counter() - started
    stats, violations = name_stats(items, edges, types)
    conflated = {n: s for n, s in stats.items() if len(s.definitions) >= 2}
    apart = {n: s for n, s in conflated.items() if len(s.exact) >= 2}
    clean = [n for n, s in apart.items() if not s.ambiguous]
    external = [n for n, s in stats.items() if len(s.exact) + len(s.external) >= 2]
    refs = sum(len(s.exact) for s in stats.values())
    print(
        f"== {crate}: {lines} lines, {len(types)} type records, "
        f"{sum(1 for e in edges if e.rel == 'uses_type')} uses_type edges ({seconds:.2f} s)"
    )
    print(
        f"   conflated {len(conflated)}  told apart {len(apart)}  clean {len(clean)}  "
        f"with external {len(external)}  violations {violations}  "
        f"(definitions reached exactly: {refs})"
    )
    ranked = sorted(conflated.items(), key=lambda kv: (-len(kv[1].definitions), kv[0]))
    for name, entry in ranked[:examples]:
        reached = ", ".join(f"{q} x{n}" for q, n in sorted(entry.exact.items())) or "-"
        print(
            f"   {name}: {len(entry.definitions)} definitions; exact refs: {reached}; "
            f"ambiguous {entry.ambiguous}, unresolved {entry.unresolved_local}, "
            f"external {dict(sorted(entry.external.items())) or '-'}"
        )
    missed = sorted(n for n in conflated if n not in apart)
    if missed:
        print(f"   conflated but not told apart in use: {', '.join(missed)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", type=Path, default=Path("/tmp/rustrag-practice"))
    ap.add_argument("--examples", type=int, default=5)
    ap.add_argument("crates", nargs="*", default=list(CRATES))
    args = ap.parse_args()
    for crate in args.crates:
        report(crate, args.corpus / crate, args.examples)
        print(flush=True)


if __name__ == "__main__":
    main()
