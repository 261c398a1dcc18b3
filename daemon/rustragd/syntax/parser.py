"""Rust parsing with tree-sitter: the only module that imports ``tree_sitter``.

Queries live as data in ``queries/*.scm`` and are compiled once per process;
the parser is created lazily per process, so worker processes can use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import NamedTuple

import tree_sitter_rust
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

__all__ = [
    "LANGUAGE",
    "Fact",
    "Matches",
    "Node",
    "Tree",
    "definitions",
    "error_count",
    "load_query",
    "matches",
    "parse",
    "query_names",
]

LANGUAGE = Language(tree_sitter_rust.language())

_QUERIES = "rustragd.syntax.queries"


@cache
def _parser() -> Parser:
    """This process's parser."""
    return Parser(LANGUAGE)


def parse(source: bytes, old_tree: Tree | None = None) -> Tree:
    """Parse Rust source; ``old_tree`` (already edited) enables incremental parsing."""
    if old_tree is None:
        return _parser().parse(source)
    return _parser().parse(source, old_tree)


def query_names() -> list[str]:
    """Names (without ``.scm``) of the packaged queries."""
    folder = resources.files(_QUERIES)
    return sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".scm"))


@cache
def load_query(name: str) -> Query:
    """Compile the packaged query ``queries/<name>.scm``."""
    path = resources.files(_QUERIES).joinpath(f"{name}.scm")
    return Query(LANGUAGE, path.read_text(encoding="utf-8"))


#: ``(label, node, captures)``: a match's outermost capture name, its node, and
#: every capture of the match by name.
Fact = tuple[str, Node, dict[str, list[Node]]]

_OUTER = re.compile(r"\)\s*@([\w.]+)\s*\Z")
_CAPTURE = re.compile(r"@([\w.]+)")
_COMMENT = re.compile(r"^\s*;.*$", re.M)


class Matches(NamedTuple):
    """What one pass of ``items.scm`` and ``facts.scm`` finds under a node."""

    #: ``(label, item_node, name_node)``, parents before children.
    definitions: list[tuple[str, Node, Node]]
    #: Facts in source order (ties in match order).
    facts: list[Fact]


@cache
def _graph_query() -> tuple[Query, int, tuple[str, ...]]:
    """``items.scm`` and ``facts.scm`` compiled as one query (one walk of the tree), the
    number of item patterns (they come first), and each pattern's outermost capture."""
    folder = resources.files(_QUERIES)
    items = folder.joinpath("items.scm").read_text(encoding="utf-8")
    facts = folder.joinpath("facts.scm").read_text(encoding="utf-8")
    text = f"{items}\n{facts}"
    query = Query(LANGUAGE, text)
    outer = []
    for index in range(query.pattern_count):
        pattern = _COMMENT.sub(
            "", text[query.start_byte_for_pattern(index) : query.end_byte_for_pattern(index)]
        )
        found = _OUTER.search(pattern.rstrip())
        outer.append(found.group(1) if found else _CAPTURE.findall(pattern)[-1])
    return query, load_query("items").pattern_count, tuple(outer)


def matches(node: Node, start_byte: int = 0, end_byte: int | None = None) -> Matches:
    """The item definitions and the facts under ``node``, from one query pass; with
    ``end_byte``, only those that start in ``start_byte..end_byte``.

    A definition's label is its item's capture name (``definition.function``, ...,
    ``expansion.macro`` for a macro invocation, whose name node is its path); a
    fact's label is its outermost capture (``use``, ``call``, ``bind.param``, ``type``...).
    """
    query, item_patterns, outer = _graph_query()
    found: list[tuple[int, int, str, Node, Node]] = []
    facts: list[tuple[int, Fact]] = []
    cursor = QueryCursor(query)
    if end_byte is not None:
        cursor.set_byte_range(start_byte, end_byte)
    for index, captures in cursor.matches(node):
        label = outer[index]
        top = captures[label][0]
        if end_byte is not None and not start_byte <= top.start_byte < end_byte:
            continue
        if index < item_patterns:
            found.append((top.start_byte, -top.end_byte, label, top, captures["name"][0]))
        else:
            facts.append((top.start_byte, (label, top, captures)))
    found.sort(key=lambda f: (f[0], f[1]))
    facts.sort(key=lambda f: f[0])
    return Matches(
        [(label, item, name) for _, _, label, item, name in found], [f for _, f in facts]
    )


def definitions(node: Node) -> Iterator[tuple[str, Node, Node]]:
    """``(label, item_node, name_node)`` for every match of ``items.scm`` under ``node``.

    ``label`` is the item's capture name (``definition.function``, ...,
    ``expansion.macro`` for a macro invocation, whose name node is its path).
    Parents come before their children (ordered by start, longest first).
    """
    yield from matches(node).definitions


def error_count(tree: Tree) -> int:
    """Number of ERROR and MISSING nodes in ``tree``."""
    root = tree.root_node
    if not root.has_error:
        return 0
    # What ``errors.scm`` captures, found by descending only where an error is.
    count = 0
    pending = [root]
    while pending:
        node = pending.pop()
        count += node.is_error + node.is_missing
        pending.extend(c for c in node.children if c.has_error or c.is_error)
    return count
