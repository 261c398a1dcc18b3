"""Items made by crate-local ``macro_rules!`` invoked at item position.

Each invocation recorded in the facts whose name is a ``macro_rules!`` of the
same crate (the definition written last before it in the same file winning) is
expanded by :func:`rustragd.macro_rules.expand` and the expansion extracted as
items in the invocation's scope, at the invocation's line; item invocations in
the result are expanded in turn. A macro that passes its body through
(``serde_if_integer128! { ... }``) keeps the body's own lines. Statement-position
invocations (``m! { ... }`` in a function body) are expanded when the macro's
definition mentions an item keyword.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from rustragd.extract import extract_fragment
from rustragd.facts import REPARSED, STATEMENT
from rustragd.model import Item

__all__ = ["expand_local_macros", "expander"]

Expander = Callable[[str, str], "str | None"]

#: Nested expansions followed at most.
_DEPTH = 4
#: A ``macro_rules!`` that may make items (worth expanding in statement position).
_MAKES_ITEMS = re.compile(r"\b(?:fn|struct|enum|union|trait|impl|type|const|static|mod)\b")


def expander() -> Expander | None:
    """The ``macro_rules`` expander (definition, arguments), if that module is installed."""
    try:
        from rustragd.macro_rules import expand
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
    rules: dict[str, dict[str, str]] = defaultdict(dict)
    owners: dict[int, tuple[str, str]] = {}
    for _, facts in files:
        crate = facts["mod"].partition("::")[0]
        for _ident, name, text in facts["rules"]:
            rules[crate].setdefault(name, text)
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
        textual = _textual(facts)
        work = [(row, 0) for row in facts["macros"]]
        while work:
            (owner, line, segs, text, body_line, position), depth = work.pop()
            local = _in_scope(rules.get(crate, {}), textual, line)
            definition = local.get(segs[-1])
            if not text or definition is None or depth > _DEPTH:
                continue
            if position == STATEMENT and not _MAKES_ITEMS.search(definition):
                continue  # an expression macro (`tri!(x);`): nothing to index
            expanded = expand(definition, text)
            if expanded is None:
                continue
            kind, prefix = owners.get(owner, ("mod", module))
            scope = (prefix, owner, kind, prefix if kind == "mod" else module)
            if _tokens(expanded) == _tokens(text):  # passes its body through: keep its lines
                if position == REPARSED:
                    continue  # the extractor already indexed that body
                source, at, shift = text.encode("utf-8"), 0, body_line - 1
            else:
                source, at, shift = expanded.encode("utf-8"), line, 0
            made, fragment = extract_fragment(path, source, scope, at, seen[path], shift)
            for item in made:
                owners[item.id] = (item.kind, item.qualified_name)
            work.extend((row, depth + 1) for row in fragment["macros"])
            items.extend(made)
            extra.append((path, fragment))
    return items, extra


def _tokens(text: str) -> str:
    return "".join(text.split())


def _textual(facts: dict[str, Any]) -> list[tuple[int, str, str]]:
    """``(line, name, definition)`` of the file's own ``macro_rules!``, in line order."""
    lines = {row[0]: row[5] for row in facts["items"]}
    return sorted((lines.get(ident, 0), name, text) for ident, name, text in facts["rules"])


def _in_scope(
    crate: dict[str, str], textual: list[tuple[int, str, str]], line: int
) -> dict[str, str]:
    """The definitions an invocation at ``line`` sees: the file's own, last one written
    before the line winning (``macro_rules!`` scope is textual, and cfg'd twins and
    same-named macros of other modules are common), then the crate's others."""
    if not textual:
        return crate
    local = dict(crate)
    for at, name, text in textual:
        if at < line:
            local[name] = text
    return local
