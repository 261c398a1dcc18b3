"""Rust parsing with tree-sitter: the only module that imports ``tree_sitter``.

Queries live as data in ``queries/*.scm`` and are compiled once per process;
the parser is created lazily per process, so worker processes can use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from importlib import resources

import tree_sitter_rust
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

__all__ = [
    "LANGUAGE",
    "Node",
    "Tree",
    "captures_in_order",
    "definitions",
    "error_count",
    "load_query",
    "parse",
    "query_names",
]

LANGUAGE = Language(tree_sitter_rust.language())

_QUERIES = "rustragd.queries"


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


def definitions(node: Node) -> Iterator[tuple[str, Node, Node]]:
    """``(label, item_node, name_node)`` for every match of ``items.scm`` under ``node``.

    ``label`` is the item's capture name (``definition.function``, ...,
    ``expansion.macro`` for a macro invocation, whose name node is its path).
    Parents come before their children (ordered by start, longest first).
    """
    found: list[tuple[int, int, str, Node, Node]] = []
    for _, captures in QueryCursor(load_query("items")).matches(node):
        name = captures["name"][0]
        for capture, nodes in captures.items():
            if capture != "name" and capture != "body":
                item = nodes[0]
                found.append((item.start_byte, -item.end_byte, capture, item, name))
                break
    found.sort(key=lambda f: (f[0], f[1]))
    for _, _, label, item, name in found:
        yield label, item, name


def captures_in_order(root: Node, query: str) -> list[tuple[str, Node, dict[str, Node]]]:
    """``(label, node, parts)`` per match of ``queries/<query>.scm``, in source order.

    ``label`` names the match's outermost capture, ``node`` is that capture's
    node, and ``parts`` maps every capture name to its (first) node.
    """
    found: list[tuple[int, int, str, Node, dict[str, Node]]] = []
    for _, captures in QueryCursor(load_query(query)).matches(root):
        parts = {name: nodes[0] for name, nodes in captures.items()}
        label, node = min(parts.items(), key=lambda kv: (kv[1].start_byte, -kv[1].end_byte))
        found.append((node.start_byte, len(found), label, node, parts))
    found.sort(key=lambda f: (f[0], f[1]))
    return [(label, node, parts) for _, _, label, node, parts in found]


def error_count(tree: Tree) -> int:
    """Number of ERROR and MISSING nodes in ``tree``."""
    root = tree.root_node
    if not root.has_error:
        return 0
    captures = QueryCursor(load_query("errors")).captures(root)
    return sum(len(nodes) for nodes in captures.values())
