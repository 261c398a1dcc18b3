"""Crate-local macros invoked in type and expression position inside a ``macro_rules!``
expansion are expanded in place, as rustc does: what the expansion makes names no
local macro invocation (itertools' tuple impls)."""

from __future__ import annotations

from collections import Counter

from rustragd.graph.resolve import resolve_workspace
from rustragd.macros.macro_rules import expand_inner
from rustragd.model import Item, Resolution
from rustragd.syntax.extract import extract_file

COUNT_IDENT = """macro_rules! count_ident {
    () => {0};
    ($i0:ident $($i:ident)*) => {1 + count_ident!($($i)*)};
}"""
IGNORE_IDENT = "macro_rules! ignore_ident { ($id:ident, $($t:tt)*) => {$($t)*}; }"

TUPLES = f"""\
pub trait TupleCollect {{
    type Item;
    type Buffer;
    fn num_items() -> usize;
}}

{COUNT_IDENT}
{IGNORE_IDENT}

macro_rules! impl_tuple_collect {{
    ($dummy:ident,) => {{}};
    ($dummy:ident, $($Y:ident,)*) => (
        impl_tuple_collect!($($Y,)*);
        impl<A> TupleCollect for ($(ignore_ident!($Y, A),)*) {{
            type Item = A;
            type Buffer = [Option<A>; count_ident!($($Y)*) - 1];
            fn num_items() -> usize {{ count_ident!($($Y)*) }}
        }}
    );
}}

impl_tuple_collect!(dummy, a, b, c, d,);
""".encode()


def resolve(source: bytes) -> tuple[list[Item], Resolution]:
    """The items of a one-file crate ``demo`` (written and macro-made) and its resolution."""
    extract = extract_file("src/lib.rs", source, ["demo"])
    resolution = resolve_workspace([(extract.path, extract.facts)])
    return extract.items + resolution.items, resolution


def test_tuple_impls_name_their_expanded_self_types() -> None:
    items, resolution = resolve(TUPLES)
    impls = [i for i in resolution.items if i.kind == "impl"]
    assert sorted(i.qualified_name for i in impls) == [
        "<(A, A) as TupleCollect>",
        "<(A, A, A) as TupleCollect>",
        "<(A, A, A, A) as TupleCollect>",
        "<(A,) as TupleCollect>",
    ]
    made = resolution.items
    assert len(made) == 16  # each impl: two types and a method
    assert not [i for i in made if "!" in i.qualified_name + i.name + i.signature]
    (pair,) = [i for i in impls if i.qualified_name == "<(A, A) as TupleCollect>"]
    assert pair.signature.replace(" ", "") == "impl<A>TupleCollectfor(A,A,)"
    buffers = {i.signature for i in made if i.name == "Buffer"}
    assert "type Buffer = [Option<A>; 1 + 1 + 0 - 1]" in buffers
    names = {i.id: i.qualified_name for i in items}
    implements = Counter(
        (names[e.src], names.get(e.dst), e.confidence)
        for e in resolution.edges
        if e.rel == "implements"
    )
    assert implements == Counter(
        {(i.qualified_name, "demo::TupleCollect", "exact"): 1 for i in impls}
    )
    impl_for = {names[e.src]: e.target for e in resolution.edges if e.rel == "impl_for"}
    assert impl_for.keys() == {i.qualified_name for i in impls}
    assert not [target for target in impl_for.values() if "!" in target]


SIGNATURES = f"""\
{COUNT_IDENT}
{IGNORE_IDENT}
macro_rules! my_type {{ () => {{ Vec<u8> }}; }}

pub struct Bytes;

macro_rules! make {{
    ($name:ident, $($x:ident)*) => {{
        pub struct $name {{ pub field: my_type!(), pub other: [u8; count_ident!($($x)*)] }}
        pub const LEN: usize = count_ident!($($x)*);
        pub fn take(b: ignore_ident!(x, Bytes)) -> my_type!() {{ my_type!() }}
        #[doc = "kept"]
        pub type Alias = Option<ignore_ident!(y, Bytes)>;
        impl Clone for ignore_ident!(z, Bytes) {{ fn clone(&self) -> Self {{ Bytes }} }}
    }};
}}

make!(Made, a b c);
""".encode()


def test_fields_signatures_and_values_are_expanded() -> None:
    items, resolution = resolve(SIGNATURES)
    made = {i.name: i for i in resolution.items}
    assert made["field"].signature == "pub field: Vec<u8>"
    assert made["other"].signature == "pub other: [u8; 1 + 1 + 1 + 0]"
    assert made["LEN"].signature.startswith("pub const LEN: usize")
    assert "count_ident" not in made["LEN"].snippet
    assert made["take"].signature == "pub fn take(b: Bytes) -> Vec<u8>"
    assert made["Alias"].signature == "pub type Alias = Option<Bytes>"
    bytes_id = next(i.id for i in items if i.qualified_name == "demo::Bytes")
    used = {e.src for e in resolution.edges if e.rel == "uses_type" and e.dst == bytes_id}
    assert {made["take"].id, made["Alias"].id} <= used
    (clone,) = [i for i in resolution.items if i.kind == "impl"]
    assert clone.signature == "impl Clone for Bytes"
    impl_for = [(e.dst, e.confidence) for e in resolution.edges if e.rel == "impl_for"]
    assert impl_for == [(bytes_id, "exact")]


def definitions(*texts: str) -> tuple[tuple[str, str], ...]:
    return tuple((text.split("!", 1)[1].split()[0], text) for text in texts)


def inner(rules: tuple[tuple[str, str], ...], text: str, depth: int) -> str | None:
    """:func:`expand_inner`, its lines joined (a definition's line breaks are kept)."""
    out = expand_inner(rules, text, depth)
    return None if out is None else " ".join(out.split())


def test_expand_inner_leaves_item_invocations_bodies_and_other_macros() -> None:
    rules = definitions(COUNT_IDENT, IGNORE_IDENT)
    text = (
        "count_ident!(a);\n"  # an item of its own: expanded and extracted as one
        '#[doc = ignore_ident!(a, "x")]\n'
        "fn f(x: [u8; count_ident!(a b)]) -> ignore_ident!(a, u8) { count_ident!(a) }\n"
        "type T = (vec![ignore_ident!(a, u8)], ignore_ident!(a, u16));\n"
    )
    assert inner(rules, text, 8) == (
        "count_ident!(a); "
        '#[doc = ignore_ident!(a, "x")] '
        "fn f(x: [u8; 1 + 1 + 0]) -> u8 { count_ident!(a) } "
        "type T = (vec![ignore_ident!(a, u8)], u16);"
    )
    assert inner(rules, "fn f() -> u8 { count_ident!(a) }", 8) is None
    assert inner(rules, "type N = [u8; count_ident!(a b c)];", 2) == (
        "type N = [u8; 1 + 1 + count_ident!( c )];"  # depth 2: the third is left
    )
