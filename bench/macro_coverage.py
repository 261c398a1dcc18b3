"""Coverage of the ``macro_rules!`` expander on item-position invocations in the practice crates.

For every ``.rs`` file of each crate, finds the invocations of crate-local
``macro_rules!`` macros at item position (file, inline ``mod``, ``impl`` and
``trait`` bodies), expands each with ``expand_recursive`` (nested invocations
of crate-local macros included) and re-parses the expansion with tree-sitter,
inside an ``impl``/``trait`` block when the invocation sits in one. Prints,
per crate: invocations, expanded, expansions that parse without errors, and
the time per expansion (median, p99).

Usage: python bench/macro_coverage.py [--root /tmp/rustrag-practice] [--crates regex ...] [-v]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rustragd.macros.macro_rules import expand_recursive
from rustragd.syntax.parser import Node, parse

CRATES = ["regex", "regex-syntax", "serde", "serde_json"]
ITEM_CONTAINERS = {"source_file", "declaration_list"}


@dataclass
class Invocation:
    path: Path
    line: int
    name: str
    arguments: str
    context: str  # "impl", "trait" or "" (file or module level)


def macro_name(node: Node) -> str:
    """The last segment of a macro invocation's path."""
    path = node.child_by_field_name("macro")
    if path is None:
        return ""
    if path.type == "scoped_identifier":
        path = path.child_by_field_name("name") or path
    return (path.text or b"").decode()


def walk(node: Node) -> Iterator[Node]:
    """``node`` and all its descendants, in source order."""
    yield node
    for child in node.children:
        yield from walk(child)


def scan(path: Path, definitions: dict[str, list[tuple[Path, int, str]]]) -> list[Invocation]:
    """Record ``path``'s macro definitions; return its item-position invocations."""
    tree = parse(path.read_bytes())
    found = []
    for node in walk(tree.root_node):
        if node.type == "macro_definition":
            name = node.child_by_field_name("name")
            if name is not None and name.text is not None:
                entry = (path, node.start_point[0] + 1, (node.text or b"").decode())
                definitions.setdefault(name.text.decode(), []).append(entry)
        elif node.type == "macro_invocation":
            parent = node.parent
            if parent is not None and parent.type == "expression_statement":
                parent = parent.parent
            if parent is None or parent.type not in ITEM_CONTAINERS:
                continue
            owner = parent.parent.type if parent.parent is not None else ""
            context = {"impl_item": "impl", "trait_item": "trait"}.get(owner, "")
            args = node.named_children[-1]
            if args.type != "token_tree" or args.text is None:
                continue
            text = args.text.decode()[1:-1]
            found.append(Invocation(path, node.start_point[0] + 1, macro_name(node), text, context))
    return found


def chosen(candidates: list[tuple[Path, int, str]], path: Path, line: int) -> str:
    """The definition in scope: the last one above in the same file, else the crate's first."""
    above = [c for c in candidates if c[0] == path and c[1] < line]
    return (above[-1] if above else candidates[0])[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/tmp/rustrag-practice"))
    parser.add_argument("--crates", nargs="*", default=CRATES)
    parser.add_argument("-v", "--verbose", action="store_true", help="list the failures")
    options = parser.parse_args()
    header = ("crate", "invocations", "expanded", "parse ok", "median ms", "p99 ms")
    print("".join(f"{h:<14}" if i == 0 else f"{h:>12}" for i, h in enumerate(header)))
    for crate in options.crates:
        root = options.root / crate
        if not root.is_dir():
            print(f"{crate}: not installed (run shared/practice/setup.sh)")
            continue
        definitions: dict[str, list[tuple[Path, int, str]]] = {}
        scanned = [inv for p in sorted(root.rglob("*.rs")) for inv in scan(p, definitions)]
        invocations = [inv for inv in scanned if inv.name in definitions]
        expanded = parsed = 0
        times: list[float] = []
        failures: list[str] = []
        for inv in invocations:
            scope = {n: chosen(c, inv.path, inv.line) for n, c in definitions.items()}
            start = time.perf_counter()
            text = expand_recursive(scope, inv.name, inv.arguments)
            times.append((time.perf_counter() - start) * 1000)
            where = f"{inv.path.relative_to(root)}:{inv.line} {inv.name}!"
            if text is None:
                failures.append(f"  no expansion: {where}")
                continue
            expanded += 1
            wrapped = f"{inv.context} __X {{\n{text}\n}}" if inv.context else text
            if parse(wrapped.encode()).root_node.has_error:
                failures.append(f"  parse error:  {where}")
            else:
                parsed += 1
        times.sort()
        median = statistics.median(times) if times else 0.0
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))] if times else 0.0
        counts = f"{len(invocations):>12}{expanded:>12}{parsed:>12}"
        print(f"{crate:<14}{counts}{median:>12.3f}{p99:>12.3f}")
        if options.verbose:
            print("\n".join(failures))


if __name__ == "__main__":
    main()
