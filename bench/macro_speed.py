"""Speed of the ``macro_rules!`` expander on the calls indexing really makes, and equivalence.

The corpus is every distinct ``(definition, invocation)`` pair that indexing
passes to :func:`rustragd.macros.macro_rules.expand` (recorded by running the
daemon's extraction and :func:`rustragd.macros.expansion.expand_files` over
crates), with the output, plus the ``expand_recursive`` calls that
``bench/macro_coverage.py`` makes on the practice crates. It is saved with
pickle and built when missing (a few minutes over the whole registry); the
outputs recorded are those of the expander given by ``--baseline`` if any,
else of the installed one.

Each round clears the expander's caches (as a fresh daemon process starts),
then expands every pair in recorded order, with the garbage collector tuned as
in the daemon's workers (where expansion runs). Prints, for the installed expander
and the ``--baseline`` one (a copy of ``macro_rules.py`` loaded from its file,
timed in the same process, rounds interleaved): median and p99 per call,
seconds per round (the best round), the speedup, and the count of outputs that
differ from the recorded ones (exit status 1 unless 0).

Usage:
  python bench/macro_speed.py                                   # time the installed expander
  python bench/macro_speed.py --baseline /tmp/macro_rules_orig.py --rounds 5
  python bench/macro_speed.py --rebuild --crates winapi-0.3.9 libc-0.2.139  # a smaller corpus
  python bench/macro_speed.py --only winapi                     # time the calls of some crates
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import pickle
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from harness import REGISTRY, percentile
from rustragd.index.pool import GC_THRESHOLDS
from rustragd.macros import expansion
from rustragd.macros import macro_rules as installed
from rustragd.project.crates import discover_crates, module_paths
from rustragd.project.walker import rust_sources
from rustragd.syntax.extract import extract_file
from rustragd.syntax.facts import unpack_facts

PRACTICE = Path("/tmp/rustrag-practice")
PRACTICE_CRATES = ["regex", "regex-syntax", "serde", "serde_json"]
DEFAULT_CORPUS = Path("/tmp/macro_work/corpus.pickle")


@dataclass
class Corpus:
    """Recorded calls: ``expand`` as ``(crate, definition, invocation, output)`` and
    ``expand_recursive`` as ``(definitions, name, invocation, output)``."""

    expand: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    recursive: list[tuple[dict[str, str], str, str, str | None]] = field(default_factory=list)


def crate_roots(names: list[str] | None) -> list[tuple[str, Path]]:
    """The registry crates (all, or those named) and the practice crates."""
    registry = sorted(REGISTRY.iterdir()) if names is None else [REGISTRY / n for n in names]
    roots = [(p.name, p) for p in registry if p.is_dir()]
    roots += [(c, PRACTICE / c) for c in PRACTICE_CRATES if (PRACTICE / c).is_dir()]
    return roots


def record(module: ModuleType, names: list[str] | None) -> Corpus:
    """Run indexing's expansion over the crates, recording ``module``'s answers."""
    corpus = Corpus()
    seen: set[tuple[str, str]] = set()
    for crate, root in crate_roots(names):

        def recording(definition: str, invocation: str, crate: str = crate) -> str | None:
            output: str | None = module.expand(definition, invocation)
            if (definition, invocation) not in seen:
                seen.add((definition, invocation))
                corpus.expand.append((crate, definition, invocation, output))
            return output

        start, before = time.perf_counter(), len(corpus.expand)
        sources = list(rust_sources(root))
        modules = module_paths(root, discover_crates(root), sources)
        files = []
        for rel in sources:
            extract = extract_file(rel, (root / rel).read_bytes(), modules[rel])
            files.append((extract.path, unpack_facts(extract.facts)))
        rules = expansion.local_rules(files)
        for path, facts in files:
            expansion.expand_file(path, facts, rules, recording)
        took = time.perf_counter() - start
        print(f"  {crate:<40} {len(corpus.expand) - before:6} calls  {took:6.1f} s", flush=True)
    if (PRACTICE / PRACTICE_CRATES[0]).is_dir():
        corpus.recursive = record_recursive(module)
    return corpus


def record_recursive(module: ModuleType) -> list[tuple[dict[str, str], str, str, str | None]]:
    """The ``expand_recursive`` calls of ``bench/macro_coverage.py``, with ``module``'s answers."""
    from macro_coverage import chosen, scan

    calls = []
    for crate in PRACTICE_CRATES:
        root = PRACTICE / crate
        definitions: dict[str, list[tuple[Path, int, str]]] = {}
        scanned = [inv for p in sorted(root.rglob("*.rs")) for inv in scan(p, definitions)]
        for inv in scanned:
            if inv.name in definitions:
                scope = {n: chosen(c, inv.path, inv.line) for n, c in definitions.items()}
                output = module.expand_recursive(scope, inv.name, inv.arguments)
                calls.append((scope, inv.name, inv.arguments, output))
    return calls


def load_module(path: Path) -> ModuleType:
    """A copy of ``macro_rules.py`` loaded from ``path`` under its own name."""
    spec = importlib.util.spec_from_file_location("macro_rules_baseline", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def clear_caches(module: ModuleType) -> None:
    """Empty every ``functools`` cache of ``module``, as in a fresh process."""
    for value in vars(module).values():
        clear = getattr(value, "cache_clear", None)
        if callable(clear):
            clear()


def timed_round(module: ModuleType, calls: list[tuple[str, str]]) -> tuple[list[float], float]:
    """Per-call seconds and the round's total, caches cleared first."""
    clear_caches(module)
    expand, clock = module.expand, time.perf_counter
    times = []
    start = clock()
    for definition, invocation in calls:
        t0 = clock()
        expand(definition, invocation)
        times.append(clock() - t0)
    return times, clock() - start


def differences(module: ModuleType, corpus: Corpus, calls: list[int]) -> list[str]:
    """Where ``module`` answers otherwise than recorded (None-ness included)."""
    clear_caches(module)
    found = []
    for index in calls:
        crate, definition, invocation, output = corpus.expand[index]
        if module.expand(definition, invocation) != output:
            found.append(f"expand #{index} ({crate}): {invocation[:60]!r}")
    for index, (definitions, name, invocation, output) in enumerate(corpus.recursive):
        if module.expand_recursive(definitions, name, invocation) != output:
            found.append(f"expand_recursive #{index} {name}!: {invocation[:60]!r}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rebuild", action="store_true", help="record the corpus again")
    parser.add_argument("--crates", nargs="*", help="registry crates to record (default: all)")
    parser.add_argument("--only", nargs="*", help="time the calls of crates starting so")
    parser.add_argument("--baseline", type=Path, help="a macro_rules.py to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-v", "--verbose", action="store_true", help="list the differences")
    options = parser.parse_args()

    baseline = load_module(options.baseline) if options.baseline else None
    if options.rebuild or not options.corpus.exists():
        print(f"recording {options.corpus} ...")
        corpus = record(baseline or installed, options.crates)
        options.corpus.parent.mkdir(parents=True, exist_ok=True)
        options.corpus.write_bytes(pickle.dumps(corpus, protocol=pickle.HIGHEST_PROTOCOL))
    else:
        corpus = pickle.loads(options.corpus.read_bytes())
    only = tuple(options.only or [""])
    chosen = [i for i, row in enumerate(corpus.expand) if row[0].startswith(only)]
    calls = [(corpus.expand[i][1], corpus.expand[i][2]) for i in chosen]
    nones = sum(corpus.expand[i][3] is None for i in chosen)
    print(
        f"{len(calls)} expand calls ({nones} None), "
        f"{len(corpus.recursive)} expand_recursive calls; {options.rounds} rounds"
    )

    gc.set_threshold(*GC_THRESHOLDS)
    modules: dict[str, ModuleType] = {"installed": installed}
    if baseline is not None:
        modules = {"baseline": baseline, **modules}
    samples: dict[str, list[float]] = {name: [] for name in modules}
    totals: dict[str, list[float]] = {name: [] for name in modules}
    for _ in range(options.rounds):
        for name, module in modules.items():
            times, total = timed_round(module, calls)
            samples[name].extend(times)
            totals[name].append(total)
    for name in modules:
        per_call = samples[name]
        print(
            f"{name:<10} median {statistics.median(per_call) * 1e6:8.1f} us  "
            f"p99 {percentile(per_call, 0.99) * 1e6:8.1f} us  "
            f"total {min(totals[name]):7.2f} s/round (best of {options.rounds})"
        )
    if baseline is not None:
        print(f"speedup    {min(totals['baseline']) / min(totals['installed']):.2f}x (total)")

    failed = False
    for name, module in modules.items():
        found = differences(module, corpus, chosen)
        print(f"{name:<10} differing outputs: {len(found)}")
        for line in found[:50] if options.verbose else ():
            print(f"  {line}")
        failed = failed or bool(found)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
