"""Items made by crate-local ``macro_rules!`` invoked at item position.

Each invocation recorded in the facts whose name is a ``macro_rules!`` of the
same crate is expanded by :func:`rustragd.macro_rules.expand` and the expansion
extracted as items in the invocation's scope, at the invocation's line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from rustragd.extract import extract_fragment
from rustragd.facts import unpack_facts
from rustragd.model import Item

__all__ = ["expand_local_macros", "expander"]

Expander = Callable[[str, str], "str | None"]


def expander() -> Expander | None:
    """The ``macro_rules`` expander, if that module is installed."""
    try:
        from rustragd.macro_rules import expand  # noqa: PLC0415 - optional module
    except ImportError:
        return None
    return expand


def expand_local_macros(
    files: list[tuple[str, dict[str, Any]]],
) -> tuple[list[Item], list[tuple[str, dict[str, Any]]]]:
    """Items made by local macros, and their facts (as extra ``(path, facts)`` files)."""
    expand = expander()
    if expand is None:
        return [], []
    rules: dict[tuple[str, str], str] = {}
    owners: dict[int, tuple[str, str]] = {}
    for _, facts in files:
        crate = facts["mod"].partition("::")[0]
        for _ident, name, text in facts["rules"]:
            rules.setdefault((crate, name), text)
        for row in facts["items"]:
            owners[row[0]] = (row[1], row[4])
    items: list[Item] = []
    extra: list[tuple[str, dict[str, Any]]] = []
    seen: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for path, facts in files:
        counts = seen[path]
        for row in facts["items"]:
            counts[(row[4], row[1])] = counts.get((row[4], row[1]), 0) + 1
    for path, facts in files:
        module = facts["mod"]
        crate = module.partition("::")[0]
        for owner, line, segs, text in facts["macros"]:
            definition = rules.get((crate, segs[-1]))
            if not text or definition is None:
                continue
            expanded = expand(definition, text)
            if not expanded:
                continue
            kind, prefix = owners.get(owner, ("mod", module))
            scope = (prefix, owner, kind, prefix if kind == "mod" else module)
            made, blob = extract_fragment(path, expanded.encode("utf-8"), scope, line, seen[path])
            items.extend(made)
            extra.append((path, unpack_facts(blob)))
    return items, extra
