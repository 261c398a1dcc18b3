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

__all__ = ["expand_file", "expand_local_macros", "expander", "item_makers", "local_rules"]

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
    rules = local_rules(files)
    items: list[Item] = []
    extra: list[tuple[str, dict[str, Any]]] = []
    for path, facts in files:
        made, fragments = expand_file(path, facts, rules, expand)
        items.extend(made)
        extra.extend((path, fragment) for fragment in fragments)
    return items, extra


def local_rules(files: list[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, str]]:
    """Each crate's ``macro_rules!`` by name, the first written (in file order) winning."""
    rules: dict[str, dict[str, str]] = defaultdict(dict)
    for _, facts in files:
        crate = facts["mod"].partition("::")[0]
        for _ident, name, text in facts["rules"]:
            rules[crate].setdefault(name, text)
    return rules


def item_makers(files: list[tuple[str, dict[str, Any]]]) -> set[str]:
    """Names of the local ``macro_rules!`` that may make items (expanded in statement position)."""
    return {
        name
        for _, facts in files
        for _ident, name, text in facts["rules"]
        if _MAKES_ITEMS.search(text)
    }


def expand_file(
    path: str,
    facts: dict[str, Any],
    rules: dict[str, dict[str, str]],
    expand: Expander,
) -> tuple[list[Item], list[dict[str, Any]]]:
    """Items made by the local macros invoked in one file, and their facts (fragments)."""
    module = facts["mod"]
    crate = module.partition("::")[0]
    owners = {row[0]: (row[1], row[4]) for row in facts["items"]}
    counts: dict[tuple[str, str], int] = {}
    for row in facts["items"]:
        counts[(row[4], row[1])] = counts.get((row[4], row[1]), 0) + 1
    textual = _textual(facts)
    items: list[Item] = []
    extra: list[dict[str, Any]] = []
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
        made, fragment = extract_fragment(path, source, scope, at, counts, shift)
        for item in made:
            owners[item.id] = (item.kind, item.qualified_name)
        work.extend((row, depth + 1) for row in fragment["macros"])
        items.extend(made)
        extra.append(fragment)
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
