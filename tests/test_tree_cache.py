"""Incremental re-parsing gives the same tree as a fresh parse, with real tree-sitter."""

from __future__ import annotations

from pathlib import Path

import pytest
from rustragd.syntax.edit import single_edit
from rustragd.syntax.parser import Node, Tree, parse
from rustragd.syntax.tree_cache import TreeCache

SOURCE = b"""//! Doc.
use std::fmt;

pub struct Point { x: i32, y: i32 }

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})", self.x, self.y)
    }
}

pub fn distance(a: &Point, b: &Point) -> f64 {
    let dx = (a.x - b.x) as f64;
    let dy = (a.y - b.y) as f64;
    (dx * dx + dy * dy).sqrt()
}
"""

EDITS = [
    (b"let dx", b"let delta_x"),  # rename inside a body
    (b"pub fn distance", b"/// Distance.\n/// Euclid.\npub fn distance"),  # lines added
    (b"    let dy = (a.y - b.y) as f64;\n", b""),  # a line removed
    (b"//! Doc.\n", b"//! Doc.\n\n\n\nfn top() {}\n"),  # lines inserted at the top
    (b"}\n}\n", b"}\n"),  # a brace removed: a syntax error
    (b"x: i32", b"x: \xc3\xa9t\xc3\xa9"),  # multi-byte text
]


def shape(tree: Tree) -> list[tuple[str, int, int, tuple[int, int], tuple[int, int]]]:
    """Every node's type, byte span and points, in order."""
    out = []
    stack: list[Node] = [tree.root_node]
    while stack:
        node = stack.pop()
        out.append((node.type, node.start_byte, node.end_byte, node.start_point, node.end_point))
        stack.extend(reversed(node.children))
    return [(t, s, e, tuple(sp), tuple(ep)) for t, s, e, sp, ep in out]


def test_successive_edits_match_a_fresh_parse() -> None:
    cache = TreeCache()
    source = SOURCE
    cache.reparse("a.rs", source)
    for old, new in EDITS:
        assert old in source
        source = source.replace(old, new, 1)
        tree = cache.reparse("a.rs", source).tree
        fresh = parse(source)
        assert str(tree.root_node) == str(fresh.root_node)
        assert shape(tree) == shape(fresh)


def test_single_edit_spans_and_points() -> None:
    edit = single_edit(b"ab\ncd\nef", b"ab\ncXYd\nef")
    assert edit is not None
    assert (edit.start_byte, edit.old_end_byte, edit.new_end_byte) == (4, 4, 6)
    assert (edit.start_point, edit.old_end_point, edit.new_end_point) == ((1, 1), (1, 1), (1, 3))
    assert single_edit(b"same", b"same") is None


def test_lru_bound_and_forget() -> None:
    cache = TreeCache(capacity=2)
    for name in ("a.rs", "b.rs", "c.rs"):
        cache.reparse(name, b"fn f() {}\n")
    assert len(cache) == 2 and "a.rs" not in cache
    cache.reparse("b.rs", b"fn g() {}\n")  # b becomes the most recent
    cache.reparse("d.rs", b"")
    assert "c.rs" not in cache and "b.rs" in cache
    cache.forget("b.rs")
    assert "b.rs" not in cache


def test_source_bytes_bound_keeps_the_latest_file() -> None:
    cache = TreeCache(max_bytes=100)
    cache.reparse("a.rs", b"fn a() {}\n" * 4)  # 40 bytes
    cache.reparse("b.rs", b"fn b() {}\n" * 5)  # 50: 90 in all, both stay
    assert "a.rs" in cache and "b.rs" in cache
    cache.reparse("a.rs", b"fn a() {}\n" * 6)  # 60 + 50: b, the least recent, goes
    assert "a.rs" in cache and "b.rs" not in cache
    cache.reparse("big.rs", b"fn big() {}\n" * 50)  # alone over the bound: it stays alone
    assert len(cache) == 1 and "big.rs" in cache
    cache.forget("big.rs")
    cache.reparse("c.rs", b"fn c() {}\n" * 9)
    cache.reparse("d.rs", b"fn d() {}\n")
    assert len(cache) == 2  # forgetting gave back the big file's bytes


@pytest.mark.skipif(
    not Path("/tmp/rustrag-practice/regex-syntax/src/ast/parse.rs").exists(),
    reason="practice corpus absent",
)
def test_big_file_one_line_edit() -> None:
    source = Path("/tmp/rustrag-practice/regex-syntax/src/ast/parse.rs").read_bytes()
    cache = TreeCache()
    cache.reparse("parse.rs", source)
    middle = source.index(b"\n", len(source) // 2) + 1
    edited = source[:middle] + b"        let _unused = 1;\n" + source[middle:]
    tree = cache.reparse("parse.rs", edited).tree
    assert str(tree.root_node) == str(parse(edited).root_node)
