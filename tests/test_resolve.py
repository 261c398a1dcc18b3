"""The resolver on a hand-written Cargo workspace (tests/fixtures/callgraph): every
edge checked, none invented; plus stable ids across unrelated edits."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rustragd.graph.resolve import resolve_workspace
from rustragd.model import Edge, Item, Resolution
from rustragd.project.crates import discover_crates, module_paths
from rustragd.project.walker import rust_sources
from rustragd.syntax.extract import extract_file

ROOT = Path(__file__).parent / "fixtures" / "callgraph"
S = "cg_core::shapes"
CIRCLE_SHAPE = f"<{S}::Circle as Shape>"
SQUARE_SHAPE = f"<{S}::Square as Shape>"

Row = tuple[str, str, str, str]


class Graph:
    def __init__(self) -> None:
        files = sorted(rust_sources(ROOT))
        modules = module_paths(ROOT, discover_crates(ROOT), files)
        extracts = [extract_file(f, (ROOT / f).read_bytes(), modules[f]) for f in files]
        self.resolution: Resolution = resolve_workspace([(e.path, e.facts) for e in extracts])
        self.items: dict[int, Item] = {i.id: i for e in extracts for i in e.items}
        self.items.update({i.id: i for i in self.resolution.items})

    def name(self, ident: int) -> str:
        return self.items[ident].qualified_name if ident else "-"

    def rows(self, rel: str, src: str | None = None) -> Counter[Row]:
        """``(src, dst, confidence, path:line)`` of every ``rel`` edge (from ``src``)."""
        return Counter(
            (self.name(e.src), self.name(e.dst), e.confidence, f"{e.path}:{e.line}")
            for e in self.edges(rel)
            if src is None or self.name(e.src) == src
        )

    def edges(self, rel: str) -> list[Edge]:
        return [e for e in self.resolution.edges if e.rel == rel]


@pytest.fixture(scope="module")
def graph() -> Graph:
    return Graph()


CALLS: dict[str, list[tuple[str, str, str]]] = {
    # same-named functions in two modules; self/super/crate paths
    "cg_core::alpha::run": [
        ("cg_core::alpha::inner", "exact", "core/src/alpha.rs:4"),
        ("cg_core::helper", "exact", "core/src/alpha.rs:4"),  # super::helper()
        ("cg_core::helper", "exact", "core/src/alpha.rs:4"),  # crate::helper()
        ("cg_core::config::Config::level", "exact", "core/src/alpha.rs:4"),  # c: &Config
    ],
    "cg_core::alpha::inner": [("cg_core::alpha::leaf", "exact", "core/src/alpha.rs:8")],
    "cg_core::beta::run": [
        ("cg_core::beta::inner", "exact", "core/src/beta.rs:4"),
        ("cg_core::alpha::leaf", "exact", "core/src/beta.rs:4"),  # use ... as alpha_leaf
    ],
    "cg_core::beta::inner": [],
    # generic parameters named like a type never resolve to it
    "cg_core::config::generic": [("-", "unresolved", "core/src/config.rs:12")],
    "cg_core::config::generic_level": [
        ("cg_core::config::Config::level", "ambiguous", "core/src/config.rs:16")
    ],
    "cg_core::config::typed": [
        ("cg_core::config::Config::level", "exact", "core/src/config.rs:20")
    ],
    # closures: calls of local closures are no edges; a typed closure parameter is known
    "cg_core::config::closures": [
        ("cg_core::config::Config::level", "exact", "core/src/config.rs:25"),
        ("cg_core::config::typed", "exact", "core/src/config.rs:26"),
    ],
    # a function made by a crate-local macro
    "cg_core::helper": [("cg_core::seven", "exact", "core/src/lib.rs:22")],
    # trait method via self in a default body
    f"{S}::Shape::twice": [(f"{S}::Shape::area", "exact", "core/src/shapes.rs:6")],
    # Self:: and Type:: in methods of two types with the same method names
    f"{S}::Circle::scale": [(f"{S}::Circle::new", "exact", "core/src/shapes.rs:33")],
    f"{S}::Square::scale": [(f"{S}::Square::new", "exact", "core/src/shapes.rs:43")],
    f"{CIRCLE_SHAPE}::unit": [(f"{S}::Circle::new", "exact", "core/src/shapes.rs:53")],
    f"{SQUARE_SHAPE}::unit": [(f"{S}::Square::new", "exact", "core/src/shapes.rs:63")],
    f"{S}::total": [
        (f"{S}::Circle::new", "exact", "core/src/shapes.rs:74"),  # let c: Circle
        (f"{S}::Square::new", "exact", "core/src/shapes.rs:75"),  # let s = Square::new()
        (f"{SQUARE_SHAPE}::unit", "exact", "core/src/shapes.rs:76"),  # static trait method
        (f"{S}::pick", "exact", "core/src/shapes.rs:77"),
        (f"{CIRCLE_SHAPE}::area", "exact", "core/src/shapes.rs:78"),  # a: &Circle
        (f"{SQUARE_SHAPE}::area", "exact", "core/src/shapes.rs:78"),  # b: Square
        (f"{S}::Shape::twice", "exact", "core/src/shapes.rs:78"),  # provided trait method
        (f"{SQUARE_SHAPE}::area", "exact", "core/src/shapes.rs:78"),  # s
        (f"{SQUARE_SHAPE}::area", "exact", "core/src/shapes.rs:78"),  # made = Square::unit()
        # `let unknown = pick();`: what the function pick returns
        (f"{S}::Square::scale", "exact", "core/src/shapes.rs:78"),
    ],
    f"{S}::statics": [
        (f"{CIRCLE_SHAPE}::unit", "exact", "core/src/shapes.rs:82"),
        (f"{SQUARE_SHAPE}::unit", "exact", "core/src/shapes.rs:83"),  # <Square as Shape>::unit
        (f"{S}::Shape::area", "exact", "core/src/shapes.rs:84"),  # Shape::area(&c)
    ],
    f"{S}::pick": [(f"{S}::Square::new", "exact", "core/src/shapes.rs:88")],
    # the other crate: use renames, groups with self, globs, pub use re-exports
    "app::main": [
        ("cg_core::alpha::run", "exact", "app/src/main.rs:10"),  # run as run_alpha
        ("cg_core::beta::run", "exact", "app/src/main.rs:11"),
        ("cg_core::alpha::run", "exact", "app/src/main.rs:12"),  # pub use ... as alpha_run
        (f"{S}::Circle::new", "exact", "app/src/main.rs:13"),  # pub use + rename
        (f"{CIRCLE_SHAPE}::area", "exact", "app/src/main.rs:14"),  # T::new() receiver
        ("cg_core::config::typed", "exact", "app/src/main.rs:15"),  # config::{self}
        ("app::local::run", "exact", "app/src/main.rs:16"),
        ("app::local::Runner::new", "exact", "app/src/main.rs:17"),
        ("app::local::Runner::go", "exact", "app/src/main.rs:17"),  # on what new() returns
        ("app::local::Runner::new", "exact", "app/src/main.rs:18"),
        ("app::local::Runner::go", "exact", "app/src/main.rs:19"),  # r = Runner::new()
    ],
    "app::main_helper": [
        (f"{S}::Square::new", "exact", "app/src/main.rs:23"),  # through the glob
        (f"{S}::Square::scale", "exact", "app/src/main.rs:23"),  # on what new() returns
    ],
    "app::local::Runner::go": [
        ("app::local::Runner::step", "exact", "app/src/local.rs:9"),
        ("app::local::Runner::helper", "exact", "app/src/local.rs:9"),
    ],
    "app::local::run": [("app::main_helper", "exact", "app/src/local.rs:22")],
}


@pytest.mark.parametrize("caller", sorted(CALLS))
def test_calls_of(graph: Graph, caller: str) -> None:
    expected = Counter((caller, dst, conf, where) for dst, conf, where in CALLS[caller])
    assert graph.rows("calls", caller) == expected


def test_no_other_callers(graph: Graph) -> None:
    assert {src for src, _, _, _ in graph.rows("calls")} <= set(CALLS)


def test_unresolved_edges_keep_the_name(graph: Graph) -> None:
    (edge,) = [e for e in graph.edges("calls") if e.confidence == "unresolved"]
    assert (edge.dst, edge.target) == (0, "clone")
    ambiguous = [e for e in graph.edges("calls") if e.confidence == "ambiguous"]
    assert all(e.dst and e.target == graph.name(e.dst) for e in ambiguous)


def test_impls(graph: Graph) -> None:
    assert graph.rows("implements") == Counter(
        [
            (CIRCLE_SHAPE, f"{S}::Shape", "exact", "core/src/shapes.rs:47"),
            (SQUARE_SHAPE, f"{S}::Shape", "exact", "core/src/shapes.rs:57"),
            (f"<{S}::Square as fmt::Display>", "-", "unresolved", "core/src/shapes.rs:67"),
        ]
    )
    (display,) = [e for e in graph.edges("implements") if e.confidence == "unresolved"]
    assert display.target == "std::fmt::Display"  # written path expanded through `use`
    impl_for = graph.rows("impl_for")
    assert impl_for[(CIRCLE_SHAPE, f"{S}::Circle", "exact", "core/src/shapes.rs:47")] == 1
    assert impl_for[(f"{S}::Square", f"{S}::Square", "exact", "core/src/shapes.rs:37")] == 1
    assert sum(impl_for.values()) == 7


def test_has_method_with_via(graph: Graph) -> None:
    square = {
        (graph.name(e.dst), graph.name(e.via) if e.via else "")
        for e in graph.edges("has_method")
        if graph.name(e.src) == f"{S}::Square"
    }
    assert square == {
        (f"{S}::Square::new", ""),
        (f"{S}::Square::scale", ""),
        (f"{SQUARE_SHAPE}::area", f"{S}::Shape"),
        (f"{SQUARE_SHAPE}::unit", f"{S}::Shape"),
        (f"{S}::Shape::twice", f"{S}::Shape"),  # provided method, through the trait
        # an external trait: via is the impl
        (f"<{S}::Square as fmt::Display>::fmt", f"<{S}::Square as fmt::Display>"),
    }


def test_imports(graph: Graph) -> None:
    rows = {(src, dst, where) for src, dst, conf, where in graph.rows("imports") if conf == "exact"}
    # a crate root's imports come from the crate's module item
    assert ("cg_core", "cg_core::alpha::run", "core/src/lib.rs:8") in rows  # pub use, renamed
    assert ("app", f"{S}::Circle", "app/src/main.rs:5") in rows  # through the re-export
    assert ("app", "cg_core::config", "app/src/main.rs:3") in rows  # {self, ...}
    assert ("app", "cg_core::config::Config", "app/src/main.rs:3") in rows  # Config as Cfg
    assert ("app", S, "app/src/main.rs:4") in rows  # glob: the module
    assert ("cg_core::beta", "cg_core::alpha::leaf", "core/src/beta.rs:1") in rows
    std = [e for e in graph.edges("imports") if e.confidence == "unresolved"]
    assert [(e.target, e.path, e.line) for e in std] == [("std::fmt", "core/src/shapes.rs", 1)]


def test_uses_type_and_fingerprints(graph: Graph) -> None:
    uses = {
        (graph.name(e.src), graph.name(e.dst), e.confidence, e.extra)
        for e in graph.edges("uses_type")
    }
    by_src = {(src, dst): key for src, dst, conf, key in uses if conf == "exact"}
    # `&Config` and `Config` are two types; the same text in two places is one
    assert (
        by_src[("cg_core::alpha::run", "cg_core::config::Config")]
        == (by_src[("cg_core::config::closures", "cg_core::config::Config")])
    )
    assert (
        by_src[("cg_core::config::typed", "cg_core::config::Config")]
        != (by_src[("cg_core::alpha::run", "cg_core::config::Config")])
    )
    # the generic parameter `Config` is never the struct
    assert not [u for u in uses if u[0].startswith("cg_core::config::generic") and u[1] != "-"]
    types = {t.fingerprint: t for t in graph.resolution.types}
    key = by_src[("cg_core::config::typed", "cg_core::config::Config")]
    assert types[key].canonical == "cg_core::config::Config"
    assert graph.name(types[key].definition) == "cg_core::config::Config"
    assert len(key) == 32


def test_expands_and_macro_items(graph: Graph) -> None:
    assert graph.rows("expands") == Counter(
        [("cg_core", "cg_core::make_getter", "exact", "core/src/lib.rs:19")]
    )
    (seven,) = graph.resolution.items
    assert (seven.qualified_name, seven.kind, seven.start_line) == (
        "cg_core::seven",
        "function",
        19,
    )


def test_derives(graph: Graph) -> None:
    derived = {(graph.name(e.src), e.target) for e in graph.edges("derives")}
    assert {t for s, t in derived if s == f"{S}::Circle"} >= {"Debug", "Clone"}
    # multi-line derive, and cfg_attr(.., derive(..))
    assert {t for s, t in derived if s == f"{S}::Square"} == {
        "Debug",
        "Default",
        "PartialEq",
        "StructuralPartialEq",
    }


def test_contains(graph: Graph) -> None:
    rows = graph.rows("contains")
    assert rows[(f"{S}::Circle", f"{S}::Circle::r", "exact", "core/src/shapes.rs:15")] == 1
    assert (
        rows[
            (
                "cg_core::config::Config",
                "cg_core::config::Config::level",
                "exact",
                "core/src/config.rs:6",
            )
        ]
        == 1
    )
    assert rows[(f"{S}::Shape", f"{S}::Shape::area", "exact", "core/src/shapes.rs:4")] == 1
    # a crate root is the crate's module item: it contains the root's items and modules
    assert rows[("cg_core", "cg_core::helper", "exact", "core/src/lib.rs:21")] == 1
    assert rows[("cg_core", "cg_core::alpha", "exact", "core/src/lib.rs:3")] == 1


STABLE = b"""use std::fmt;

pub struct Kept {
    pub a: u32,
}

impl Kept {
    pub fn get(&self) -> u32 {
        self.a
    }
}

pub fn edited() -> u32 {
    1
}

pub fn tail() {}
"""


def test_ids_survive_unrelated_edits() -> None:
    before = extract_file("src/stable.rs", STABLE, ["demo", "stable"])
    edited = STABLE.replace(b"use std::fmt;\n", b"use std::fmt;\n\nfn added_above() {}\n")
    edited = edited.replace(b"    1\n", b"    let x = 2;\n    x + 1\n")
    after = extract_file("src/stable.rs", edited, ["demo", "stable"])
    ids_before = {(i.qualified_name, i.kind): i.id for i in before.items}
    ids_after = {(i.qualified_name, i.kind): i.id for i in after.items}
    assert set(ids_after) - set(ids_before) == {("demo::stable::added_above", "function")}
    for key, ident in ids_before.items():
        assert ids_after[key] == ident, key
    moved = {(i.qualified_name, i.kind): i.start_line for i in after.items}
    assert moved[("demo::stable::Kept", "struct")] == 5  # it moved, and kept its id


CFG_ALTERNATIVES = b"""\
#[cfg(not(feature = "big"))]
enum N {
    Small(u8),
}

#[cfg(feature = "big")]
type N = String;

#[cfg(not(feature = "big"))]
impl PartialEq for N {
    fn eq(&self, _other: &N) -> bool { true }
}

impl Clone for N {
    fn clone(&self) -> N { todo!() }
}
"""


def test_cfg_alternatives_resolve_under_the_same_cfg() -> None:
    extract = extract_file("src/lib.rs", CFG_ALTERNATIVES, ["demo"])
    resolution = resolve_workspace([(extract.path, extract.facts)])
    names = {i.id: i for i in extract.items}
    impl_for = Counter(
        (names[e.src].start_line, names[e.dst].kind if e.dst else "-", e.confidence)
        for e in resolution.edges
        if e.rel == "impl_for"
    )
    # Under the enum's own cfg: only the enum; without a cfg, both stay candidates.
    assert impl_for == Counter(
        {(10, "enum", "exact"): 1, (14, "enum", "ambiguous"): 1, (14, "type_alias", "ambiguous"): 1}
    )


TRAIT_ARGUMENTS = b"""\
pub struct Error;
pub struct Value;
pub struct Map<K, V>(K, V);

impl From<Error> for Value {
    fn from(_: Error) -> Value { Value }
}

impl<'a> PartialEq<&'a Map<u8, Error>> for Value {
    fn eq(&self, _: &&'a Map<u8, Error>) -> bool { true }
}
"""


def test_trait_arguments_of_an_impl_header_are_type_uses() -> None:
    extract = extract_file("src/lib.rs", TRAIT_ARGUMENTS, ["demo"])
    resolution = resolve_workspace([(extract.path, extract.facts)])
    impls = {i.id: i.start_line for i in extract.items if i.kind == "impl"}
    names = {i.id: i.name for i in extract.items}
    used = Counter(
        (impls[e.src], names[e.dst])
        for e in resolution.edges
        if e.rel == "uses_type" and e.src in impls and e.confidence == "exact"
    )
    assert used == Counter(
        {(5, "Value"): 1, (5, "Error"): 1, (9, "Value"): 1, (9, "Map"): 1, (9, "Error"): 1}
    )


LAYERED_MACROS = b"""\
macro_rules! __item {
    ($i:item) => { $i };
}

macro_rules! s {
    ($($(#[$attr:meta])* pub struct $i:ident { $($field:tt)* })*) => ($(
        s!(it: $(#[$attr])* pub struct $i { $($field)* });
    )*);
    (it: $(#[$attr:meta])* pub struct $i:ident { $($field:tt)* }) => (
        __item! {
            #[repr(C)]
            #[derive(Copy, Clone)]
            $(#[$attr])*
            pub struct $i { $($field)* }
        }
    );
}

macro_rules! error_trait {
    ($name:ident) => { pub trait $name { fn fail(&self); } };
}

s! {
    pub struct timeval {
        pub tv_sec: i64,
    }
}

pub fn now(t: timeval) -> timeval { t }

#[cfg(feature = "std")]
error_trait!(Error);
#[cfg(not(feature = "std"))]
error_trait!(Error);
"""


def test_an_item_seen_again_through_macro_layers_is_one_item() -> None:
    """libc's ``s! { .. }``: the invocation's body, ``s!(it: ..)`` and ``__item! { .. }``
    each read as the same struct; one is indexed, its uses are exact, and it has the
    derives only the macro writes. Two invocations still make two items."""
    extract = extract_file("src/lib.rs", LAYERED_MACROS, ["demo"])
    resolution = resolve_workspace([(extract.path, extract.facts)])
    items = extract.items + resolution.items
    names = {i.id: i for i in items}
    structs = [i for i in items if i.name == "timeval"]
    assert [(i.kind, i.start_line) for i in structs] == [("struct", 24)]
    assert [i.qualified_name for i in items if i.name == "tv_sec"] == ["demo::timeval::tv_sec"]
    used = Counter(
        (names[e.src].name, e.confidence)
        for e in resolution.edges
        if e.rel == "uses_type" and e.dst == structs[0].id
    )
    assert used == Counter({("now", "exact"): 2})
    derived = {e.target for e in resolution.edges if e.rel == "derives" and e.src == structs[0].id}
    assert {"Copy", "Clone"} <= derived
    assert [i.kind for i in items if i.name == "Error"] == ["trait", "trait"]


def test_unresolved_paths_from_the_root_read_as_written() -> None:
    source = b"use ::std::fmt;\npub fn show(f: &mut fmt::Formatter, n: ::core::num::NonZeroU8) {}\n"
    extract = extract_file("src/lib.rs", source, ["demo"])
    resolution = resolve_workspace([(extract.path, extract.facts)])
    written = {e.target for e in resolution.edges if e.confidence == "unresolved"}
    assert {"::std::fmt", "::std::fmt::Formatter", "::core::num::NonZeroU8"} <= written
    assert not any("::::" in text for text in written)


Call = tuple[int, str, str, str]


def one_file_calls(source: bytes) -> list[Call]:
    """``(line, caller, callee or the name written, confidence)`` of every call edge of a
    one-file crate ``demo``."""
    extract = extract_file("src/lib.rs", source, ["demo"])
    resolution = resolve_workspace([(extract.path, extract.facts)])
    names = {i.id: i.qualified_name for i in extract.items}
    return [
        (e.line, names[e.src], names.get(e.dst, e.target), e.confidence)
        for e in resolution.edges
        if e.rel == "calls"
    ]


def calls_by_line(source: bytes) -> dict[int, Counter[tuple[str, str]]]:
    """The call edges of :func:`one_file_calls`, ``(callee, confidence)`` by line."""
    found: dict[int, Counter[tuple[str, str]]] = {}
    for line, _caller, callee, confidence in one_file_calls(source):
        found.setdefault(line, Counter())[(callee, confidence)] += 1
    return found


TRAIT_BOUNDS = b"""\
pub trait Access {
    fn next_item(&mut self) -> u32;
}
pub trait Sink {
    fn next_item(&mut self) -> u32;
}
pub struct Reader;
impl Access for Reader {
    fn next_item(&mut self) -> u32 { 1 }
}
impl Sink for Reader {
    fn next_item(&mut self) -> u32 { 2 }
}
pub fn inline<A: Access>(mut a: A) -> u32 { a.next_item() }
pub fn where_clause<S>(s: &mut S) -> u32 where S: Sink { s.next_item() }
pub fn opaque(mut a: impl Access) -> u32 { a.next_item() }
pub fn object(a: &mut dyn Sink) -> u32 { a.next_item() }
pub fn both<T: Access + Sink>(t: &mut T) -> u32 { t.next_item() }
pub fn foreign<I: Iterator>(mut i: I) -> u32 { i.next_item() }
pub fn path<A: Access + Default>() -> u32 { let mut a = A::default(); A::next_item(&mut a) }
pub struct Wrap<A>(A);
impl<A: Access> Wrap<A> {
    pub fn take(&self, mut a: A) -> u32 { a.next_item() }
}
"""


def test_calls_on_type_parameters_and_trait_values_go_to_their_bounds() -> None:
    calls: dict[str, Counter[tuple[str, str]]] = {}
    for _line, caller, callee, confidence in one_file_calls(TRAIT_BOUNDS):
        calls.setdefault(caller.removeprefix("demo::"), Counter())[(callee, confidence)] += 1
    access, sink = ("demo::Access::next_item", "exact"), ("demo::Sink::next_item", "exact")
    # A value of a type parameter, `impl Trait` or `dyn Trait` has its bounds' methods only.
    for caller in ("inline", "opaque", "Wrap::take"):  # inline bound, `impl`, the impl's bound
        assert calls[caller] == Counter([access])
    for caller in ("where_clause", "object"):  # `where` clause, `dyn`
        assert calls[caller] == Counter([sink])
    assert calls["path"] == Counter([("A::default", "unresolved"), access])  # `A::next_item()`
    # Two bounds with the method: both, ambiguous (rustc would ask which).
    assert calls["both"] == Counter(
        [("demo::Access::next_item", "ambiguous"), ("demo::Sink::next_item", "ambiguous")]
    )
    # A foreign bound (Iterator) tells nothing of local methods: guessed as before.
    assert sorted(calls["foreign"]) == sorted(
        (f"{owner}::next_item", "ambiguous")
        for owner in (
            "demo::Access",
            "demo::Sink",
            "<demo::Reader as Access>",
            "<demo::Reader as Sink>",
        )
    )


SELF_FIELDS = b"""\
pub struct Parser { pos: usize }
impl Parser {
    pub fn bump(&mut self) -> usize { self.pos += 1; self.pos }
}
pub struct Printer;
impl Printer {
    pub fn bump(&self) {}
}
pub struct Lexer<T> {
    parser: Parser,
    shared: &'static mut Parser,
    items: Vec<u8>,
    generic: T,
}
impl<T> Lexer<T> {
    pub fn next(&mut self) -> usize {
        self.parser.bump();
        self.shared.bump();
        self.items.bump();
        self.generic.bump();
        self.missing.bump();
        0
    }
}
"""


def test_calls_on_fields_of_self_go_by_the_field_type() -> None:
    calls = Counter((line, callee, conf) for line, _, callee, conf in one_file_calls(SELF_FIELDS))
    guessed = Counter(
        (line, f"demo::{owner}::bump", "ambiguous")
        for line in (19, 20, 21)  # Vec (foreign), a type parameter, no such field
        for owner in ("Parser", "Printer")
    )
    # `self.parser: Parser` and `self.shared: &mut Parser` are known: exact.
    exact = Counter([(17, "demo::Parser::bump", "exact"), (18, "demo::Parser::bump", "exact")])
    assert calls == exact + guessed


CHAINS = b"""\
pub struct Builder;
pub struct Parser;
pub struct Other;
impl Builder {
    pub fn new() -> Builder { Builder }
    pub fn depth(&mut self) -> &mut Self { self }
    pub fn build(&self) -> Parser { Parser }
}
impl Parser {
    pub fn parse(&self) -> u8 { 0 }
    pub fn me(&self) -> &Parser { self }
}
impl Other {
    pub fn parse(&self) -> u8 { 1 }
    pub fn build(&self) {}
}
pub fn make(b: &mut Builder) -> u8 {
    Builder::new().depth().build().parse();
    b.build().me().parse();
    b.unknown().parse();
    vec![1].len().parse()
}
"""


def test_calls_on_the_value_of_a_call_go_by_what_it_returns() -> None:
    calls = calls_by_line(CHAINS)
    # `Builder::new()` returns Builder, `depth()` &mut Self, `build()` Parser: all exact.
    chain = ["demo::Builder::new", "demo::Builder::depth", "demo::Builder::build"]
    assert calls[18] == Counter((m, "exact") for m in [*chain, "demo::Parser::parse"])
    assert calls[19] == Counter(
        (m, "exact") for m in ["demo::Builder::build", "demo::Parser::me", "demo::Parser::parse"]
    )
    # No such method, or a foreign one: what it returns is unknown, the call is guessed.
    guessed = Counter(
        {("demo::Parser::parse", "ambiguous"): 1, ("demo::Other::parse", "ambiguous"): 1}
    )
    assert calls[20] == guessed + Counter({("unknown", "unresolved"): 1})
    assert calls[21] == guessed + Counter({("len", "unresolved"): 1})


def test_calls_on_fields_of_typed_values_go_by_the_field_type() -> None:
    source = (
        SELF_FIELDS
        + b"""\
pub fn outside(lexer: &mut Lexer<u8>) {
    lexer.parser.bump();
    Lexer::<u8>::make().shared.bump();
}
impl<T> Lexer<T> {
    pub fn make() -> Self { loop {} }
}
"""
    )
    calls = Counter(
        (line, callee, conf) for line, _, callee, conf in one_file_calls(source) if line in (26, 27)
    )
    # A typed parameter's field, and a field of what a call returns.
    assert calls == Counter(
        [
            (26, "demo::Parser::bump", "exact"),
            (27, "demo::Lexer::make", "exact"),
            (27, "demo::Parser::bump", "exact"),
        ]
    )


FOREIGN_RECEIVERS = b"""\
use std::fmt;
pub struct Out;
impl Out {
    pub fn write_str(&self, _: &str) {}
    pub fn finish(&self) {}
}
pub trait Ext { fn twice(&self) -> u32; }
impl Ext for u32 { fn twice(&self) -> u32 { self * 2 } }
pub trait Show { fn show(&self); }
impl<T: fmt::Debug> Show for T { fn show(&self) {} }
pub fn render(f: &mut fmt::Formatter, n: u32, v: Vec<u8>, o: &Out) {
    f.write_str("x");
    n.twice();
    n.show();
    v.finish();
    o.write_str("y");
}
"""


def test_methods_of_another_crates_plain_type_are_not_guessed_among_local_ones() -> None:
    calls = calls_by_line(FOREIGN_RECEIVERS)
    # `f: &mut fmt::Formatter`: another crate's type without type arguments, for which no
    # local impl has a `write_str`: its own method, not `Out::write_str`.
    assert calls[12] == Counter([("write_str", "unresolved")])
    # A primitive's methods are its impls' (`impl Ext for u32`), else the blanket impls'.
    assert calls[13] == Counter([("<u32 as Ext>::twice", "exact")])
    assert calls[14] == Counter([("<T as Show>::show", "exact")])
    # `Vec<u8>` has type arguments (a type like it may deref to a local one): guessed.
    assert calls[15] == Counter([("demo::Out::finish", "ambiguous")])
    assert calls[16] == Counter([("demo::Out::write_str", "exact")])


VALUES_OF_EXPRESSIONS = b"""\
pub struct Exec;
impl Exec {
    pub fn searcher(&self) -> Searcher { Searcher }
}
pub struct Searcher;
impl Searcher {
    pub fn find(&self) -> usize { 0 }
}
pub struct Regex(Exec);
impl Regex {
    pub fn find(&self) -> usize {
        self.0.searcher().find()
    }
    pub fn twice(&self) -> usize {
        let s = self.0.searcher();
        let (a, b) = (self.0.searcher(), &self.0);
        s.find() + a.find() + b.searcher().find() + (*self).find()
    }
}
pub trait Input {
    fn at(&self) -> usize;
}
impl<'a, T: Input> Input for &'a T {
    fn at(&self) -> usize {
        (**self).at()
    }
}
pub struct Other;
impl Other {
    pub fn find(&self) -> usize { 1 }
    pub fn at(&self) -> usize { 1 }
}
"""


def test_calls_on_values_of_expressions_go_by_their_type() -> None:
    calls = calls_by_line(VALUES_OF_EXPRESSIONS)
    find, searcher = ("demo::Searcher::find", "exact"), ("demo::Exec::searcher", "exact")
    assert calls[12] == Counter([searcher, find])  # a newtype's field `self.0`
    assert calls[15] == Counter([searcher])
    assert calls[16] == Counter([searcher])
    # `let` of a method call's value, each name of a tuple `let`, `(*self)`.
    assert calls[17] == Counter([find, find, searcher, find, ("demo::Regex::find", "exact")])
    # `self` in an impl for a type parameter has the methods of its bounds.
    assert calls[25] == Counter([("demo::Input::at", "exact")])


PRIMITIVE_PATHS = b"""\
pub trait Cast {
    fn cast(x: u32) -> Self;
    fn make(x: u32) -> Self where Self: Sized { Self::cast(x) }
}
impl Cast for u64 {
    fn cast(x: u32) -> u64 { x as u64 }
}
pub struct Big;
impl Cast for Big {
    fn cast(_: u32) -> Big { Big }
}
impl Big {
    pub fn grow(&self) {}
}
pub fn user(s: &[u8]) {
    let _ = u64::cast(1);
    Big::make(2).grow();
}
"""


def test_paths_on_primitives_and_values_of_self_returning_trait_methods() -> None:
    calls = calls_by_line(PRIMITIVE_PATHS)
    assert calls[16] == Counter([("<u64 as Cast>::cast", "exact")])  # `impl Cast for u64`
    # A trait's default method returning Self, called on a type, gives that type.
    assert calls[17] == Counter([("demo::Cast::make", "exact"), ("demo::Big::grow", "exact")])


PATTERN_BINDINGS = b"""\
pub struct Number;
impl Number {
    pub fn is_i64(&self) -> bool { true }
}
pub enum Value {
    Number(Number),
    Pair(u8, u8),
}
pub struct Other;
impl Other {
    pub fn is_i64(&self) -> bool { false }
}
pub fn check(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_i64(),
        Value::Pair(a, _) => a.is_i64(),
    }
}
"""


def test_names_bound_by_a_variant_pattern_have_its_field_type() -> None:
    calls = calls_by_line(PATTERN_BINDINGS)
    assert calls[15] == Counter([("demo::Number::is_i64", "exact")])
    # A variant of several fields gives no type (only a newtype variant's is read).
    assert calls[16] == Counter(
        [("demo::Number::is_i64", "ambiguous"), ("demo::Other::is_i64", "ambiguous")]
    )


TUPLE_VALUES = b"""\
pub struct Sender;
impl Sender {
    pub fn send(&self) {}
}
pub struct Receiver;
impl Receiver {
    pub fn recv(&self) {}
}
pub fn bounded(_cap: usize) -> (Sender, Receiver) {
    (Sender, Receiver)
}
pub struct Other;
impl Other {
    pub fn send(&self) {}
    pub fn recv(&self) {}
}
pub fn user() {
    let (s, r) = bounded(1);
    s.send();
    r.recv();
}
"""


def test_names_bound_from_a_returned_tuple_have_its_element_types() -> None:
    calls = calls_by_line(TUPLE_VALUES)
    assert calls[19] == Counter([("demo::Sender::send", "exact")])
    assert calls[20] == Counter([("demo::Receiver::recv", "exact")])


LITERALS = b"""\
pub trait Shout {
    fn shout(&self) -> usize;
}
impl Shout for str {
    fn shout(&self) -> usize { 1 }
}
impl Shout for [u8] {
    fn shout(&self) -> usize { 2 }
}
impl Shout for char {
    fn shout(&self) -> usize { 3 }
}
impl Shout for u8 {
    fn shout(&self) -> usize { 4 }
}
pub fn user() -> usize {
    "x".shout() + b"x".shout() + 'x'.shout() + b'x'.shout() + (300 as u8).shout()
}
"""


def test_methods_on_literals_and_casts_go_by_their_type() -> None:
    calls = calls_by_line(LITERALS)
    owners = ["str", "[u8]", "char", "u8", "u8"]  # the last: a cast's type
    assert calls[17] == Counter((f"<{owner} as Shout>::shout", "exact") for owner in owners)


INHERENT_FIRST = b"""\
pub trait Vector {
    fn new() -> Self;
    fn push(&mut self, x: u8);
}
pub struct Small;
impl Small {
    pub fn new() -> Small { Small }
    pub fn push(&mut self, _x: u8) {}
}
impl Vector for Small {
    fn new() -> Self { Small }
    fn push(&mut self, _x: u8) {}
}
pub fn user() {
    let mut v = Small::new();
    v.push(1);
}
"""


def test_inherent_associated_items_come_before_trait_ones() -> None:
    calls = calls_by_line(INHERENT_FIRST)
    assert calls[15] == Counter([("demo::Small::new", "exact")])
    assert calls[16] == Counter([("demo::Small::push", "exact")])


def test_a_crate_roots_own_name_is_not_defined_inside_it() -> None:
    source = b"use other::thread;\npub fn f() {\n    thread::scope();\n}\n"
    extract = extract_file("tests/thread.rs", source, ["thread"])
    helper = extract_file("src/lib.rs", b"pub mod thread {\n    pub fn scope() {}\n}\n", ["other"])
    resolution = resolve_workspace([(extract.path, extract.facts), (helper.path, helper.facts)])
    calls = [(e.target, e.confidence) for e in resolution.edges if e.rel == "calls"]
    assert calls == [("other::thread::scope", "exact")]


SUPERTRAITS = b"""\
pub trait Integer: private::Sealed + Copy {}

pub trait Wide where Self: Integer {
    fn widen(self) -> u128 {
        self.write() as u128
    }
}

mod private {
    pub trait Sealed {
        fn write(self) -> u8;
    }
}

pub fn format<I: Integer>(i: I) -> u8 {
    i.write()
}

pub fn wide<W: Wide>(w: W) -> u8 {
    w.write()
}

pub fn named<I: Integer>(i: I) -> u8 {
    I::write(i)
}
"""


def test_methods_of_supertraits_resolve_through_a_bound() -> None:
    """``I: Integer`` with ``trait Integer: private::Sealed`` calls ``Sealed::write`` (and
    so does a trait extending it through ``where Self:``, and its own default method)."""
    extract = extract_file("src/lib.rs", SUPERTRAITS, ["demo"])
    resolution = resolve_workspace([(extract.path, extract.facts)])
    names = {i.id: i.qualified_name for i in extract.items}
    calls = Counter(
        (names[e.src], names.get(e.dst, "-"), e.confidence)
        for e in resolution.edges
        if e.rel == "calls"
    )
    write = "demo::private::Sealed::write"
    assert calls == Counter(
        {
            ("demo::format", write, "exact"): 1,
            ("demo::wide", write, "exact"): 1,
            ("demo::named", write, "exact"): 1,
            ("demo::Wide::widen", write, "exact"): 1,
        }
    )


OUTER_BOUNDS = b"""\
pub trait Make {
    fn make() -> Self;
}
pub trait Show {
    fn show(&self) -> u8;
}

pub struct Pair<L, R>(L, R);

impl<L, R> Pair<L, R> {
    pub fn left_or_made(self) -> L
    where
        L: Make,
    {
        L::make()
    }

    pub fn shown(&self) -> u8
    where
        R: Show,
    {
        self.1.show()
    }

    pub fn plain(&self, l: L) -> u8 {
        l.show()
    }
}

pub fn concrete(s: String) -> u8
where
    String: Show,
{
    s.show()
}
"""


def test_where_clauses_bound_the_parameters_of_the_impl_around() -> None:
    """``where L: Make`` on a method of ``impl<L, R> Pair<L, R>`` bounds the impl's ``L``
    there (and only there); a bound on a concrete type bounds no parameter."""
    extract = extract_file("src/lib.rs", OUTER_BOUNDS, ["demo"])
    resolution = resolve_workspace([(extract.path, extract.facts)])
    names = {i.id: i.qualified_name for i in extract.items}
    calls = {
        names[e.src].rsplit("::", 1)[-1]: (names.get(e.dst, "-"), e.confidence)
        for e in resolution.edges
        if e.rel == "calls"
    }
    assert calls["left_or_made"] == ("demo::Make::make", "exact")
    assert calls["plain"][0] != "demo::Show::show" or calls["plain"][1] != "exact"
    assert calls["concrete"][0] != "demo::Show::show" or calls["concrete"][1] != "exact"


ASSOCIATED_BOUNDS = b"""\
pub trait AsSlice {
    fn as_slice(&self) -> &[u32];
}
pub trait Fresh {
    fn fresh() -> Self;
}
pub trait Core {
    type Results: AsSlice + Fresh;
    fn generate(&mut self, results: &mut Self::Results);
}

pub struct Block<R: Core> {
    results: R::Results,
    core: R,
}

impl<R: Core> Block<R> {
    pub fn refill(&mut self) -> usize {
        self.core.generate(&mut self.results);
        let _fresh = R::Results::fresh();
        self.results.as_slice().len()
    }
}

pub trait Seeded {
    type Seed: Fresh;
    fn seed() -> Self::Seed {
        Self::Seed::fresh()
    }
}
"""


def test_bounds_of_associated_types_and_of_generic_fields() -> None:
    """``results: R::Results`` with ``type Results: AsSlice + Fresh`` in ``R``'s trait
    calls those traits' methods; ``core: R`` calls ``R``'s bound's."""
    extract = extract_file("src/lib.rs", ASSOCIATED_BOUNDS, ["demo"])
    resolution = resolve_workspace([(extract.path, extract.facts)])
    names = {i.id: i.qualified_name for i in extract.items}
    calls = {
        (names[e.src], e.target): e.confidence
        for e in resolution.edges
        if e.rel == "calls" and e.dst
    }
    assert calls == {
        ("demo::Block::refill", "demo::Core::generate"): "exact",
        ("demo::Block::refill", "demo::Fresh::fresh"): "exact",
        ("demo::Block::refill", "demo::AsSlice::as_slice"): "exact",
        ("demo::Seeded::seed", "demo::Fresh::fresh"): "exact",
    }


POINTERS_AND_CHAINS = b"""\
pub trait Count {
    fn count(&self) -> usize;
}
impl Count for [u32] {
    fn count(&self) -> usize { 1 }
}
impl<T> Count for *const [T] {
    fn count(&self) -> usize { 2 }
}
impl Count for u64 {
    fn count(&self) -> usize { 3 }
}
pub trait Source {
    fn next_u64(&mut self) -> u64;
}
pub trait Convert<T> {
    fn convert(&self) -> T;
}
impl Convert<u64> for u8 {
    fn convert(&self) -> u64 { 0 }
}
pub trait Again {
    fn convert(&self) -> u64;
}
impl Again for u8 {
    fn convert(&self) -> u64 { 1 }
}
pub fn user<R: Source>(rng: &mut R, p: *const [u32], words: &[u32], x: u8) -> usize {
    let unpointed = unsafe { &*(p as *const [u32]) };
    p.count()
        + words.count()
        + unpointed.count()
        + rng.next_u64().count()
        + x.convert().count()
}
pub struct Cell(*const [u32]);
impl Cell {
    pub fn get(&self) -> *const [u32] { self.0 }
}
pub fn pointee(c: &Cell) -> usize {
    unsafe { (*c.get()).count() }
}
"""


def test_raw_pointers_chains_on_bounds_and_agreeing_candidates_type_receivers() -> None:
    """A raw pointer is its own receiver type (not what it points to); ``&*(p as *const
    T)`` is a T; ``rng.next_u64()`` on a bounded parameter returns what the bound's
    method returns; and a call whose candidates (here two traits' methods) all return
    one type has that type; a block's value is its tail expression's."""
    calls = calls_by_line(POINTERS_AND_CHAINS)  # 0-based lines
    assert calls[30] == Counter({("<*const [T] as Count>::count", "exact"): 1})
    assert calls[31] == Counter({("<[u32] as Count>::count", "exact"): 1})
    assert calls[32] == Counter({("<[u32] as Count>::count", "exact"): 1})
    assert calls[33] == Counter(
        {("demo::Source::next_u64", "exact"): 1, ("<u64 as Count>::count", "exact"): 1}
    )
    assert calls[34] == Counter(
        {
            ("<u8 as Convert<u64>>::convert", "ambiguous"): 1,
            ("<u8 as Again>::convert", "ambiguous"): 1,
            ("<u64 as Count>::count", "exact"): 1,
        }
    )
    # `*p` of a pointer is what it points to: unknown here, so not the pointer's method
    assert ("<*const [T] as Count>::count", "exact") not in calls[41]
    assert ("demo::Cell::get", "exact") in calls[41]


CONSTRUCTED_ARGUMENTS = b"""\
use std::ops::Deref;
pub struct Holder<T>(T);
impl<T> Holder<T> {
    pub fn new(value: T) -> Holder<T> { Holder(value) }
}
impl<T> Deref for Holder<T> {
    type Target = T;
    fn deref(&self) -> &T { &self.0 }
}
impl<T> Clone for Holder<T> {
    fn clone(&self) -> Self { todo!() }
}
pub struct Lock;
impl Lock {
    pub fn new() -> Lock { Lock }
    pub fn write(&self) {}
}
pub fn user() {
    let held = Holder::new(Lock::new());
    held.write();
    let again = held.clone();
    again.write();
}
"""


def test_a_constructors_argument_types_what_its_value_derefs_to() -> None:
    """``Holder::new(Lock::new())`` is a ``Holder<Lock>``: with ``type Target = T``, its
    methods calls go to ``Lock``'s, and so do those of its ``clone()``."""
    calls = calls_by_line(CONSTRUCTED_ARGUMENTS)  # 0-based lines
    assert calls[20][("demo::Lock::write", "exact")] == 1
    assert calls[22][("demo::Lock::write", "exact")] == 1
