"""Extraction after an edit copies the untouched top-level items and equals a fresh one."""

from __future__ import annotations

import random

import pytest
from rustragd.model import FileExtract
from rustragd.syntax.extract import extract_file, extract_segments
from rustragd.syntax.facts import unpack_facts
from rustragd.syntax.tree_cache import TreeCache

from tests.conftest import practice_crate

TRICKY = b"""//! A module.
use std::fmt;

/// A point.
#[derive(Debug)]
pub struct Point { x: i32 }

impl Point {
    pub fn new() -> Self { Point { x: 0 } }
}

cfg_if::cfg_if! {
    if #[cfg(unix)] {
        fn unix_only() -> u8 { 1 }
    }
}

impl Point {
    /// Twice.
    pub fn twice(&self) -> i32 { let f = |y: i32| y * 2; f(self.x) }
}

macro_rules! make { ($n:ident) => { fn $n() {} }; }
make!(made);

fn uses(p: Point) -> i32 { p.twice() + fmt::Error.to_string().len() as i32 }

mod inner {
    use super::Point;

    pub trait Shape {
        fn area(&self) -> u32 { 0 }
        fn name(&self) -> &str;
    }

    impl Shape for Point {
        fn name(&self) -> &str { "point" }
    }
}
"""

#: Edits applied in turn: (old bytes, new bytes).
TRICKY_EDITS = [
    (b"y * 2", b"y * 3"),  # a body edit
    (b"//! A module.\n", b"//! A module.\n\n// moved\n"),  # every item moves down
    (b"/// Twice.\n", b"/// Twice.\n/// Doubled.\n"),  # a doc comment inside an impl
    (b"/// A point.\n", b""),  # the docs of a top-level item
    # an impl block added before another of the same type: the later ones' ids change
    (b"impl Point {\n    pub fn new", b"impl Point {}\n\nimpl Point {\n    pub fn new"),
    (b"fn uses(p: Point) -> i32 {", b"fn uses(p: Point) -> i32 {{"),  # a syntax error
    (b"fn uses(p: Point) -> i32 {{", b"fn uses(p: Point) -> i32 {"),  # and its repair
    (b"fn unix_only() -> u8 { 1 }", b"fn unix_only() -> u16 { 1 }"),  # inside cfg_if!
    (b"make!(made);", b"make!(made);\nmake!(again);"),
    (b"{ x: 0 } }\n}\n", b"{ x: 0 } }\n\n}\n"),  # a line before an impl's closing brace
    (b"{ 0 }", b"{ 1 }"),  # a default method of a trait in a module
    (b'"point"', b'"a point"'),  # a method of an impl in a module
    (b"    use super::Point;\n", b"    use super::Point;\n    fn helper() {}\n"),
    (b"pub trait Shape {", b"pub trait Figure {"),  # a block's own name: its items renamed
    (b"impl Shape for Point", b"impl Figure for Point"),
]


def same(a: FileExtract, b: FileExtract) -> None:
    assert a.items == b.items
    assert unpack_facts(a.facts) == unpack_facts(b.facts)
    assert (a.lines, a.size, a.error_count, a.content_hash) == (
        b.lines,
        b.size,
        b.error_count,
        b.content_hash,
    )


def apply(cache: TreeCache, path: str, source: bytes, module: list[str]) -> FileExtract:
    tree, previous = cache.reparse(path, source)
    extract, segments = extract_segments(path, source, module, tree, previous)
    cache.keep_segments(path, segments)
    return extract


def test_each_edit_gives_what_a_fresh_extraction_gives() -> None:
    cache, source, module = TreeCache(), TRICKY, ["demo", "m"]
    apply(cache, "src/m.rs", source, module)
    for old, new in TRICKY_EDITS:
        assert old in source
        source = source.replace(old, new, 1)
        same(apply(cache, "src/m.rs", source, module), extract_file("src/m.rs", source, module))


def test_a_body_edit_copies_the_items_before_it() -> None:
    cache = TreeCache()
    before = apply(cache, "src/m.rs", TRICKY, ["demo"])
    after = apply(cache, "src/m.rs", TRICKY.replace(b"y * 2", b"y * 3"), ["demo"])
    # The crate item is made again (its span is the file's); the struct is the same object.
    point = next(n for n, item in enumerate(before.items) if item.name == "Point")
    assert after.items[point] is before.items[point]
    changed = next(item for item in after.items if item.name == "twice")
    assert "y * 3" in changed.snippet


def test_an_edit_in_a_block_copies_the_other_items_of_the_block() -> None:
    cache = TreeCache()
    before = apply(cache, "src/m.rs", TRICKY, ["demo"])
    after = apply(cache, "src/m.rs", TRICKY.replace(b'"point"', b'"a point"'), ["demo"])
    area = next(n for n, item in enumerate(before.items) if item.name == "area")
    assert after.items[area] is before.items[area]  # in the same `mod inner` block
    assert [i.name for i in after.items] == [i.name for i in before.items]


def random_edits(source: bytes, seed: int, count: int) -> list[bytes]:
    """``count`` successive versions of ``source``: lines added, removed and changed."""
    rng = random.Random(seed)
    versions = []
    for _ in range(count):
        lines = source.split(b"\n")
        at = rng.randrange(len(lines))
        choice = rng.randrange(4)
        if choice == 0:
            lines.insert(at, b"        let _edited = 1;")
        elif choice == 1 and len(lines) > 2:
            del lines[at]
        elif choice == 2:
            lines.insert(at, b"/// Added docs.\nfn added_here() {}")
        else:
            lines[at] = lines[at].replace(b"self", b"this", 1)
        source = b"\n".join(lines)
        versions.append(source)
    return versions


@pytest.mark.parametrize(
    ("crate", "file"),
    [
        ("regex-syntax", "src/ast/parse.rs"),
        ("serde", "src/de/impls.rs"),
        ("regex", "src/exec.rs"),
    ],
)
def test_random_edits_of_practice_files(crate: str, file: str) -> None:
    source = (practice_crate(crate) / file).read_bytes()
    module = [crate.replace("-", "_"), "m"]
    cache = TreeCache()
    apply(cache, file, source, module)
    for version in random_edits(source, seed=len(file), count=12):
        same(apply(cache, file, version, module), extract_file(file, version, module))
