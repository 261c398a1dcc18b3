"""The extractor on real Rust sources: kinds, lines, qualified names, docs, ids."""

from __future__ import annotations

from pathlib import Path

import pytest
from blake3 import blake3
from rustragd.ids import item_id
from rustragd.model import FileExtract, Item
from rustragd.syntax.extract import SNIPPET_MAX_BYTES, extract_file

FIXTURE = Path(__file__).parent / "fixtures" / "rust" / "items.rs"
MODULE = ["demo", "items"]


@pytest.fixture(scope="module")
def extract() -> FileExtract:
    return extract_file("src/items.rs", FIXTURE.read_bytes(), MODULE)


def find(extract: FileExtract, qualified_name: str, kind: str) -> Item:
    found = [i for i in extract.items if i.qualified_name == qualified_name and i.kind == kind]
    assert len(found) == 1, (qualified_name, kind, found)
    return found[0]


def test_file_facts(extract: FileExtract) -> None:
    source = FIXTURE.read_bytes()
    assert extract.path == "src/items.rs"
    assert extract.content_hash == blake3(source).hexdigest()[:32]
    assert extract.lines == 102
    assert extract.size == len(source)
    assert extract.error_count == 0


@pytest.mark.parametrize(
    ("qualified_name", "kind", "start", "end"),
    [
        ("demo::items::Parser", "struct", 10, 15),
        ("demo::items::Parser::pattern", "field", 12, 12),
        ("demo::items::Parser::depth", "field", 14, 14),
        ("demo::items::Span", "struct", 17, 17),
        ("demo::items::ErrorKind", "enum", 21, 26),
        ("demo::items::ErrorKind::Empty", "variant", 23, 23),
        ("demo::items::ErrorKind::Range", "variant", 25, 25),
        ("demo::items::ErrorKind::Range::start", "field", 25, 25),
        ("demo::items::Bits", "union", 28, 31),
        ("demo::items::Visitor", "trait", 33, 43),
        ("demo::items::Visitor::Output", "type_alias", 34, 34),
        ("demo::items::Visitor::DEPTH", "const", 35, 35),
        ("demo::items::Visitor::visit", "method", 36, 36),
        ("demo::items::Visitor::finish", "method", 37, 42),
        ("demo::items::Parser", "impl", 45, 54),
        ("demo::items::Parser::MAX", "const", 46, 46),
        ("demo::items::Parser::parse", "method", 49, 53),
        ("<demo::items::Parser as fmt::Display>", "impl", 56, 60),
        ("<demo::items::Parser as fmt::Display>::fmt", "method", 57, 59),
        ("<demo::items::Vec as Visitor>::Output", "type_alias", 63, 63),
        ("demo::items::Result", "type_alias", 67, 67),
        ("demo::items::LIMIT", "const", 69, 69),
        ("demo::items::COUNTER", "static", 71, 71),
        ("demo::items::wrap", "macro_rules", 74, 76),
        ("demo::items::wrapped", "function", 80, 82),
        ("demo::items::declared", "mod", 85, 85),
        ("demo::items::inline", "mod", 87, 94),
        ("demo::items::inline::inner", "function", 88, 88),
        ("demo::items::abs", "function", 97, 97),
        ("demo::items::main", "function", 100, 102),
    ],
)
def test_item_spans(
    extract: FileExtract, qualified_name: str, kind: str, start: int, end: int
) -> None:
    item = find(extract, qualified_name, kind)
    assert (item.start_line, item.end_line) == (start, end)
    assert item.path == "src/items.rs"


def test_tuple_fields_and_function_calls_are_not_items(extract: FileExtract) -> None:
    names = {i.name for i in extract.items}
    assert "0" not in names
    assert "println" not in names
    assert "write" not in names


def test_impl_names(extract: FileExtract) -> None:
    impls = [(i.name, i.qualified_name) for i in extract.items if i.kind == "impl"]
    assert impls == [
        ("Parser", "demo::items::Parser"),
        ("Parser", "<demo::items::Parser as fmt::Display>"),
        ("Vec", "<demo::items::Vec as Visitor>"),
    ]


def test_parents(extract: FileExtract) -> None:
    struct = find(extract, "demo::items::Parser", "struct")
    impl = find(extract, "<demo::items::Parser as fmt::Display>", "impl")
    variant = find(extract, "demo::items::ErrorKind::Range", "variant")
    inline = find(extract, "demo::items::inline", "mod")
    assert struct.parent == 0
    assert find(extract, "demo::items::Parser::pattern", "field").parent == struct.id
    assert find(extract, "<demo::items::Parser as fmt::Display>::fmt", "method").parent == impl.id
    assert find(extract, "demo::items::ErrorKind::Range::end", "field").parent == variant.id
    assert find(extract, "demo::items::inline::inner", "function").parent == inline.id


def test_items_in_function_bodies_are_named_under_the_function(extract: FileExtract) -> None:
    method = find(extract, "demo::items::Parser::parse", "method")
    helper = find(extract, "demo::items::Parser::parse::helper", "function")
    local = find(extract, "demo::items::Parser::parse::Local", "struct")
    assert (helper.start_line, local.start_line) == (50, 51)
    assert helper.parent == local.parent == method.id


def test_signatures(extract: FileExtract) -> None:
    expected = {
        ("demo::items::Parser", "struct"): "pub struct Parser<'a>",
        ("demo::items::Parser::pattern", "field"): "pub pattern: &'a str",
        ("demo::items::Span", "struct"): "pub struct Span(pub usize, pub usize)",
        ("demo::items::ErrorKind::Literal", "variant"): "Literal(char)",
        ("demo::items::ErrorKind::Range", "variant"): "Range",
        ("demo::items::Parser::parse", "method"): (
            "pub fn parse(&self, pattern: &str) -> Result<(), ErrorKind>"
        ),
        ("demo::items::Visitor::finish", "method"): (
            "fn finish(self) -> Self::Output where Self: Sized"
        ),
        ("<demo::items::Parser as fmt::Display>", "impl"): "impl<'a> fmt::Display for Parser<'a>",
        ("demo::items::LIMIT", "const"): "pub const LIMIT: usize",
        ("demo::items::COUNTER", "static"): "static mut COUNTER: u32",
        ("demo::items::Result", "type_alias"): (
            "pub type Result<T> = std::result::Result<T, ErrorKind>"
        ),
        ("demo::items::wrap", "macro_rules"): "macro_rules! wrap",
        ("demo::items::declared", "mod"): "mod declared",
    }
    for (qualified_name, kind), signature in expected.items():
        assert find(extract, qualified_name, kind).signature == signature


def test_docs_attrs_visibility(extract: FileExtract) -> None:
    parser = find(extract, "demo::items::Parser", "struct")
    assert parser.doc == "A parser for patterns.\n\nSecond paragraph."
    assert parser.attrs == '#[derive(Clone, Debug)]\n#[cfg(feature = "std")]'
    assert parser.visibility == "pub"
    kind = find(extract, "demo::items::ErrorKind", "enum")
    assert kind.doc == "The kind of an error.\nSecond line, from an attribute."
    assert kind.visibility == "pub(crate)"
    depth = find(extract, "demo::items::Parser::depth", "field")
    assert (depth.doc, depth.attrs, depth.visibility) == ("", "#[allow(dead_code)]", "")
    assert find(extract, "demo::items::ErrorKind::Empty", "variant").doc == "Nothing."
    assert find(extract, "demo::items::wrapped", "function").doc == "Made inside a macro body."
    assert find(extract, "demo::items::wrap", "macro_rules").attrs == "#[macro_export]"


def test_snippet_is_the_item_source(extract: FileExtract) -> None:
    lines = FIXTURE.read_text().split("\n")
    item = find(extract, "demo::items::Parser::parse", "method")
    assert item.snippet == "\n".join(lines[48:53])
    assert item.snippet.startswith("    pub fn parse(")


def test_cfg_twins_get_distinct_stable_ids(extract: FileExtract) -> None:
    twins = [i for i in extract.items if i.qualified_name == "demo::items::inline::twin"]
    assert [t.attrs for t in twins] == ["#[cfg(unix)]", "#[cfg(windows)]"]
    assert twins[0].id == item_id("src/items.rs", "demo::items::inline::twin", "function", 0)
    assert twins[1].id == item_id("src/items.rs", "demo::items::inline::twin", "function", 1)
    assert len({i.id for i in extract.items}) == len(extract.items)


def test_ids_survive_unrelated_edits() -> None:
    source = FIXTURE.read_bytes()
    edited = source.replace(b"use std::fmt;\n", b"use std::fmt;\n\nfn added() {}\n\n")
    before = extract_file("src/items.rs", source, MODULE)
    after = extract_file("src/items.rs", edited, MODULE)
    ids_before = {(i.qualified_name, i.kind): i.id for i in before.items}
    ids_after = {(i.qualified_name, i.kind): i.id for i in after.items}
    assert {k: ids_after[k] for k in ids_before} == ids_before
    moved = find(after, "demo::items::Parser", "struct")
    assert moved.start_line == 13


def test_item_id_is_signed_int64() -> None:
    value = item_id("src/lib.rs", "demo::f", "function")
    assert -(2**63) <= value < 2**63
    assert value == item_id("src/lib.rs", "demo::f", "function", 0)
    assert value != item_id("src/lib.rs", "demo::f", "method")
    assert item_id("a", "bc", "d") != item_id("ab", "c", "d")
    assert any(item_id("f.rs", f"demo::f{n}", "function") < 0 for n in range(64))


def test_syntax_errors_are_counted_and_items_still_found() -> None:
    source = b"pub fn ok() {}\n\nfn broken( {\n\npub struct After;\n"
    extract = extract_file("src/lib.rs", source, ["demo"])
    assert extract.error_count >= 1
    found = {(i.qualified_name, i.kind, i.start_line) for i in extract.items}
    assert {("demo::ok", "function", 1), ("demo::After", "struct", 5)} <= found


def test_invalid_utf8_does_not_crash() -> None:
    source = b'/// caf\xe9\npub fn f() -> &\'static str { "\xff" }\n'
    extract = extract_file("src/lib.rs", source, ["demo"])
    crate, item = extract.items  # a crate root's first item is the crate's module
    assert (crate.kind, crate.qualified_name, crate.start_line, crate.end_line) == (
        "mod",
        "demo",
        1,
        2,
    )
    assert (item.name, item.doc) == ("f", "caf\ufffd")
    assert "\ufffd" in item.snippet


def test_items_in_impl_position_macros_become_methods() -> None:
    source = (
        b"struct S;\n"
        b"impl S {\n"
        b"    serde_if_integer128! {\n"
        b"        fn wide(&self) -> i128 { 0 }\n"
        b"    }\n"
        b"}\n"
        b"fn f() {\n"
        b"    cfg_inner! { fn hidden() {} }\n"
        b"}\n"
    )
    extract = extract_file("src/lib.rs", source, ["demo"])
    found = {(i.qualified_name, i.kind, i.start_line) for i in extract.items}
    assert ("demo::S::wide", "method", 4) in found
    assert not any(i.name == "hidden" for i in extract.items)


def test_thread_local_statics() -> None:
    source = b"thread_local!(\n    static ID: usize = 0\n);\n"
    _crate, item = extract_file("src/lib.rs", source, ["demo"]).items
    assert (item.kind, item.qualified_name, item.start_line) == ("static", "demo::ID", 2)


def test_snippet_is_capped_at_a_line_boundary() -> None:
    body = "".join(f"    let x{n} = {n};\n" for n in range(2000))
    source = f"fn big() {{\n{body}}}\n".encode()
    _crate, item = extract_file("src/lib.rs", source, ["demo"]).items
    assert (item.start_line, item.end_line) == (1, 2002)
    assert len(item.snippet.encode()) <= SNIPPET_MAX_BYTES
    assert item.snippet.endswith(";")
    assert source.decode().startswith(item.snippet)


def test_impl_self_types() -> None:
    source = (
        b"impl<T: Clone> Show for T {}\n"
        b"impl Show for u8 {}\n"
        b"impl<'a> Show for &'a crate::ast::Ast<'a> {}\n"
        b"impl Show for [u8] {}\n"
        b"mod inner { impl super::Show for Local {} }\n"
    )
    extract = extract_file("src/lib.rs", source, ["demo", "m"])
    impls = [(i.name, i.qualified_name, i.start_line) for i in extract.items if i.kind == "impl"]
    assert impls == [
        ("T", "<T as Show>", 1),
        ("u8", "<u8 as Show>", 2),
        ("Ast", "<demo::ast::Ast as Show>", 3),
        ("[u8]", "<[u8] as Show>", 4),
        ("Local", "<demo::m::inner::Local as super::Show>", 5),
    ]
