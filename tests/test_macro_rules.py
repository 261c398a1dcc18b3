"""The ``macro_rules!`` expander, on macros copied from the practice crates."""

from __future__ import annotations

import random
import time

import pytest
from rustragd.macros.macro_rules import expand, expand_nested, expand_recursive
from rustragd.syntax.parser import Node, parse

# regex-syntax 0.6.27, src/hir/mod.rs
DEFINE_BOOL = """
macro_rules! define_bool {
    ($bit:expr, $is_fn_name:ident, $set_fn_name:ident) => {
        fn $is_fn_name(&self) -> bool {
            self.bools & (0b1 << $bit) > 0
        }

        fn $set_fn_name(&mut self, yes: bool) {
            if yes {
                self.bools |= 1 << $bit;
            } else {
                self.bools &= !(1 << $bit);
            }
        }
    };
}
"""

# serde 1.0.152, src/macros.rs (helper rules for most types elided) and src/integer128.rs
FORWARD = {
    "forward_to_deserialize_any": """
#[macro_export(local_inner_macros)]
macro_rules! forward_to_deserialize_any {
    (<$visitor:ident: Visitor<$lifetime:tt>> $($func:ident)*) => {
        $(forward_to_deserialize_any_helper!{$func<$lifetime, $visitor>})*
    };
    // This case must be after the previous one.
    ($($func:ident)*) => {
        $(forward_to_deserialize_any_helper!{$func<'de, V>})*
    };
}
""",
    "forward_to_deserialize_any_method": """
macro_rules! forward_to_deserialize_any_method {
    ($func:ident<$l:tt, $v:ident>($($arg:ident : $ty:ty),*)) => {
        #[inline]
        fn $func<$v>(self, $($arg: $ty,)* visitor: $v) -> $crate::__private::Result<$v::Value, Self::Error>
        where
            $v: $crate::de::Visitor<$l>,
        {
            $(
                let _ = $arg;
            )*
            self.deserialize_any(visitor)
        }
    };
}
""",  # noqa: E501
    "forward_to_deserialize_any_helper": """
macro_rules! forward_to_deserialize_any_helper {
    (bool<$l:tt, $v:ident>) => {
        forward_to_deserialize_any_method!{deserialize_bool<$l, $v>()}
    };
    (i128<$l:tt, $v:ident>) => {
        serde_if_integer128! {
            forward_to_deserialize_any_method!{deserialize_i128<$l, $v>()}
        }
    };
    (str<$l:tt, $v:ident>) => {
        forward_to_deserialize_any_method!{deserialize_str<$l, $v>()}
    };
    (unit_struct<$l:tt, $v:ident>) => {
        forward_to_deserialize_any_method!{deserialize_unit_struct<$l, $v>(name: &'static str)}
    };
    (tuple_struct<$l:tt, $v:ident>) => {
        forward_to_deserialize_any_method!{deserialize_tuple_struct<$l, $v>(name: &'static str, len: usize)}
    };
    (enum<$l:tt, $v:ident>) => {
        forward_to_deserialize_any_method!{deserialize_enum<$l, $v>(name: &'static str, variants: &'static [&'static str])}
    };
}
""",  # noqa: E501
    "serde_if_integer128": """
macro_rules! serde_if_integer128 {
    ($($tt:tt)*) => {
        $($tt)*
    };
}
""",
}

# serde_json 1.0.87, src/value/de.rs
DESERIALIZE_NUMBER = """
macro_rules! deserialize_number {
    ($method:ident) => {
        #[cfg(not(feature = "arbitrary_precision"))]
        fn $method<V>(self, visitor: V) -> Result<V::Value, Error>
        where
            V: Visitor<'de>,
        {
            match self {
                Value::Number(n) => n.deserialize_any(visitor),
                _ => Err(self.invalid_type(&visitor)),
            }
        }

        #[cfg(feature = "arbitrary_precision")]
        fn $method<V>(self, visitor: V) -> Result<V::Value, Error>
        where
            V: Visitor<'de>,
        {
            match self {
                Value::Number(n) => n.$method(visitor),
                _ => self.deserialize_any(visitor),
            }
        }
    };
}
"""

# serde's primitive_deserializer!, with regex's `$(#[$doc:meta])*` (src/re_set.rs)
PRIMITIVE = """
macro_rules! primitive_deserializer {
    ($(#[$doc:meta])* $ty:ty, $name:ident, $method:ident $($cast:tt)*) => {
        $(#[$doc])*
        pub struct $name<E> {
            value: $ty,
            marker: PhantomData<E>
        }

        impl<'de, E> de::Deserializer<'de> for $name<E>
        where
            E: de::Error,
        {
            type Error = E;

            forward_to_deserialize_any! { bool str }

            fn deserialize_any<V>(self, visitor: V) -> Result<V::Value, Self::Error>
            where
                V: de::Visitor<'de>,
            {
                visitor.$method(self.value $($cast)*)
            }
        }
    }
}
"""

# serde 1.0.152, src/de/mod.rs (doc comment and most methods elided)
DECLARE_ERROR_TRAIT = """
macro_rules! declare_error_trait {
    (Error: Sized $(+ $($supertrait:ident)::+)*) => {
        pub trait Error: Sized $(+ $($supertrait)::+)* {
            fn custom<T>(msg: T) -> Self
            where
                T: Display;
        }
    }
}
"""

# serde_json 1.0.87, src/value/partial_eq.rs
PARTIALEQ_NUMERIC = """
macro_rules! partialeq_numeric {
    ($($eq:ident [$($ty:ty)*])*) => {
        $($(
            impl PartialEq<$ty> for Value {
                fn eq(&self, other: &$ty) -> bool {
                    $eq(self, *other as _)
                }
            }
        )*)*
    }
}
"""


def compact(text: str | None) -> str:
    """``text`` without whitespace, to compare tokens rather than layout."""
    assert text is not None
    return "".join(text.split())


def names(node: Node, kind: str) -> list[str]:
    """Names of the ``kind`` nodes under ``node``, in order."""
    found = []
    if node.type == kind:
        name = node.child_by_field_name("name")
        if name is not None and name.text is not None:
            found.append(name.text.decode())
    for child in node.children:
        found.extend(names(child, kind))
    return found


def parsed(text: str | None, inside_impl: bool = False) -> Node:
    """The tree-sitter root of ``text``, asserted free of errors."""
    assert text is not None
    source = f"impl X {{\n{text}\n}}" if inside_impl else text
    root = parse(source.encode()).root_node
    assert not root.has_error, source
    return root


def test_define_bool_makes_two_methods() -> None:
    text = expand(DEFINE_BOOL, "0, is_always_utf8, set_always_utf8")
    root = parsed(text, inside_impl=True)
    assert names(root, "function_item") == ["is_always_utf8", "set_always_utf8"]
    assert text is not None and "0b1 << 0" in text


def test_expansion_keeps_the_transcriber_lines() -> None:
    text = expand(DEFINE_BOOL, "3, is_anchored_end, set_anchored_end")
    assert text is not None
    assert text.count("\n") >= 8
    assert "self.bools |= 1 << 3;" in text


def test_forward_to_deserialize_any_leaves_nested_invocations() -> None:
    text = expand(FORWARD["forward_to_deserialize_any"], "bool str")
    assert text is not None
    assert text.count("forward_to_deserialize_any_helper!") == 2
    assert "<'de, V>" in text


def test_forward_to_deserialize_any_recursive() -> None:
    invocation = "bool i128 str unit_struct tuple_struct enum"
    text = expand_recursive(FORWARD, "forward_to_deserialize_any", invocation)
    root = parsed(text, inside_impl=True)
    assert names(root, "function_item") == [
        "deserialize_bool",
        "deserialize_i128",
        "deserialize_str",
        "deserialize_unit_struct",
        "deserialize_tuple_struct",
        "deserialize_enum",
    ]
    assert text is not None
    assert "!" not in text.replace("!=", "")
    assert "crate::__private::Result" in text and "$crate" not in text
    assert "let _ = name;" in text and "len: usize," in text


def test_forward_to_deserialize_any_first_rule_binds_the_visitor() -> None:
    text = expand_recursive(FORWARD, "forward_to_deserialize_any", "<W: Visitor<'q>> bool")
    parsed(text, inside_impl=True)
    assert text is not None
    compact = "".join(text.split())
    assert "fndeserialize_bool<W>(self,visitor:W)" in compact
    assert "W:crate::de::Visitor<'q>" in compact


def test_recursion_depth_is_a_limit() -> None:
    invocation = "bool"
    shallow = expand_recursive(FORWARD, "forward_to_deserialize_any", invocation, depth=1)
    assert shallow is not None
    assert "forward_to_deserialize_any_method!" in shallow
    assert "fn" not in shallow.split()


def test_deserialize_number_makes_both_cfg_arms() -> None:
    text = expand(DESERIALIZE_NUMBER, "deserialize_i64")
    root = parsed(text, inside_impl=True)
    assert names(root, "function_item") == ["deserialize_i64", "deserialize_i64"]
    assert text is not None and "n.deserialize_i64(visitor)" in text.replace(" ", "")


def test_primitive_deserializer_with_doc_comments_and_tt_repetition() -> None:
    invocation = """
        /// A deserializer holding an `isize`.
        #[derive(Debug)]
        isize, IsizeDeserializer, visit_i64 as i64
    """
    text = expand(PRIMITIVE, invocation)
    root = parsed(text)
    assert names(root, "struct_item") == ["IsizeDeserializer"]
    assert names(root, "function_item") == ["deserialize_any"]
    assert text is not None
    assert '#[doc = " A deserializer holding an `isize`."]' in text
    assert "self.value as i64" in text
    assert "forward_to_deserialize_any! { bool str }" in text


def test_primitive_deserializer_without_attributes_or_cast() -> None:
    text = expand(PRIMITIVE, "bool, BoolDeserializer, visit_bool")
    parsed(text)
    assert "visitor.visit_bool(self.value)" in compact(text)


def test_nested_repetition_with_path_separator() -> None:
    text = expand(DECLARE_ERROR_TRAIT, "Error: Sized + Debug + std::fmt::Display")
    root = parsed(text)
    assert names(root, "trait_item") == ["Error"]
    assert "Sized+Debug+std::fmt::Display{" in compact(text)


def test_type_fragments_split_like_rustc() -> None:
    text = expand(
        PARTIALEQ_NUMERIC, "eq_i64[i8 &'a mut [u8] Vec<Option<u8>> fn(u8) -> u8] eq_f64[f32]"
    )
    assert text is not None
    impls = [line for line in text.splitlines() if line.startswith("impl")]
    assert [line.split("PartialEq<", 1)[1].rsplit("> for", 1)[0].strip() for line in impls] == [
        "i8",
        "&'a mut [u8]",
        "Vec<Option<u8>>",
        "fn(u8) -> u8",
        "f32",
    ]
    assert "eq_f64(self" in text


# serde 1.0.152, src/ser/impls.rs: `$size:expr` with no separator before the next `$ty`.
ATOMIC_IMPL = """
macro_rules! atomic_impl {
    ($($ty:ident $size:expr)*) => {
        $(
            #[cfg(any(no_target_has_atomic, target_has_atomic = $size))]
            impl Serialize for $ty {
                fn serialize<S>(&self, serializer: S) -> Result<S::Ok, S::Error>
                where
                    S: Serializer,
                {
                    // Matches the atomic ordering used in libcore for the Debug impl
                    self.load(Ordering::Relaxed).serialize(serializer)
                }
            }
        )*
    }
}
"""


def test_expr_fragment_ends_where_the_expression_does() -> None:
    text = expand(ATOMIC_IMPL, 'AtomicBool "8"\n    AtomicI8 "8"\n    AtomicIsize "ptr"')
    assert text is not None
    impls = [node for node in parsed(text).named_children if node.type == "impl_item"]
    assert [(i.child_by_field_name("type").text or b"").decode() for i in impls] == [  # type: ignore[union-attr]
        "AtomicBool",
        "AtomicI8",
        "AtomicIsize",
    ]
    assert 'target_has_atomic = "ptr"' in text


@pytest.mark.parametrize(
    ("invocation", "sizes"),
    [
        ("A 1 + 2 * x B -3", ["1 + 2 * x", "-3"]),
        ("A f(x)?.g::<u8>()[0] B y as u64 << 2", ["f(x)?.g::<u8>()[0]", "y as u64 << 2"]),
        ("A Foo { a: 1 }.b B <T as Tr>::C", ["Foo { a: 1 }.b", "<T as Tr>::C"]),
        (
            "A if c { 1 } else if d { 2 } else { 3 } B 0..",
            ["if c { 1 } else if d { 2 } else { 3 }", "0.."],
        ),
        ("A |x| x + 1 B m!(z) C &mut v[..n]", ["|x| x + 1", "m!(z)", "&mut v[..n]"]),
        ("A a < b B match x { _ => 1 }", ["a < b", "match x { _ => 1 }"]),
    ],
)
def test_expr_fragments_split_like_rustc(invocation: str, sizes: list[str]) -> None:
    definition = "macro_rules! m { ($($ty:ident $e:expr)*) => { $(const $ty: X = $e;)* }; }"
    text = expand(definition, invocation)
    assert text is not None
    found = [part.split("=", 1)[1] for part in compact(text).split(";") if part]
    assert found == [compact(size) for size in sizes]


def test_first_matching_rule_wins_and_separators() -> None:
    definition = """
    macro_rules! m {
        ($v:vis struct $name:ident;) => { $v struct $name; };
        ($v:vis fn $($f:ident),+ $(,)?) => { $( $v fn $f() {} )+ };
        ($($k:literal => $e:expr),* ; $($rest:tt)*) => { const N: usize = [$($e),*].len(); };
    }
    """
    assert compact(expand(definition, "pub(crate) struct A;")) == "pub(crate)structA;"
    assert compact(expand(definition, "struct A;")) == "structA;"
    text = expand(definition, "pub fn a, b, c,")
    assert names(parsed(text), "function_item") == ["a", "b", "c"]
    assert expand(definition, "fn") is None  # `+` needs one
    text = expand(definition, "1 => |a, b| a + b, r#\"x\"y\"# => b'q', -2 => '\\n'; rest ..= ::x")
    assert "[|a,b|a+b,b'q','\\n'].len()" in compact(text)


def test_literals_and_lifetimes_are_single_tokens() -> None:
    definition = """
    macro_rules! lits { ($($l:literal)* / $($t:lifetime)*) => { $(const _: () = { $l; };)* }; }
    """
    invocation = (
        r"""r##"a"#b"## b"x\"" br"raw" 'a' b'\'' '\u{1F600}' 1.5e-3 0x1F true -7 / 'a 'static"""
    )
    text = expand(definition, invocation)
    assert text is not None
    assert text.count("const _") == 10
    assert r'r##"a"#b"##' in text and r"'\u{1F600}'" in text and "1.5e-3" in text


def test_crate_paths_and_unknown_variables() -> None:
    definition = "macro_rules! p { ($t:path) => { impl $crate::Tr for $t { fn f() -> $u {} } }; }"
    text = expand(definition, "::std::vec::Vec<u8>")
    assert text is not None
    assert "crate::Tr" in text and "::std::vec::Vec<u8>" in text and "$u" in text


def test_no_rule_matches() -> None:
    assert expand(DEFINE_BOOL, "0, is_always_utf8") is None
    assert expand(DEFINE_BOOL, "") is None
    assert expand(DECLARE_ERROR_TRAIT, "Error: Sized +") is None
    assert expand_recursive(FORWARD, "no_such_macro", "bool") is None


@pytest.mark.parametrize(
    "definition",
    [
        "",
        "fn not_a_macro() {}",
        "macro_rules! m { ($x:ident) => { $x } ",  # unbalanced
        "macro_rules! m { ($x:ident) { $x } }",  # no =>
        "macro_rules! m { ($x:frobnicate) => { $x } }",  # unknown fragment kind
        "macro_rules! m { ($x) => { $x } }",  # fragment without kind
        "macro_rules! m { ($($x:ident)) => { $x } }",  # repetition without operator
        "macro_rules! m { () => { ${count(x)} } }",  # metavariable expression
        "macro_rules! m { }",
        "macro_rules! m { (a) => { \u00a7 } }",  # not a Rust token
        "macro_rules! m { (a) => { /* unterminated } }",
    ],
)
def test_malformed_definitions_give_none(definition: str) -> None:
    assert expand(definition, "a") is None


def test_bad_transcriptions_give_none() -> None:
    still_repeating = "macro_rules! m { ($($x:ident)*) => { $x }; }"
    assert expand(still_repeating, "a b") is None
    mismatched = "macro_rules! m { ($($x:ident)* ; $($y:ident)*) => { $($x $y)* }; }"
    assert expand(mismatched, "a b ; c") is None
    assert expand(mismatched, "a b ; c d") == "a c b d"
    assert expand(DEFINE_BOOL, "0, (unbalanced, x") is None


def test_self_recursion_is_bounded() -> None:
    forever = {"m": "macro_rules! m { ($($t:tt)*) => { struct S; m! { $($t)* } }; }"}
    text = expand_recursive(forever, "m", "x", depth=4)
    assert text is not None
    assert text.count("struct S;") == 5
    assert text.count("m!") == 1


def test_exponential_expansion_gives_up() -> None:
    doubling = {"d": "macro_rules! d { ($($t:tt)*) => { d!($($t)* $($t)*); d!($($t)* $($t)*); }; }"}
    start = time.monotonic()
    assert expand_recursive(doubling, "d", "x " * 200, depth=30) is None
    assert time.monotonic() - start < 30


def test_pathological_backtracking_gives_up() -> None:
    definition = "macro_rules! b { ($($($a:tt)*)* !) => {}; }"
    assert expand(definition, "x " * 300) is None


def test_long_repetitions_do_not_exhaust_the_stack() -> None:
    definition = "macro_rules! many { ($($n:ident),*) => { $(fn $n() {})* }; }"
    idents = [f"f{i}" for i in range(3000)]
    text = expand(definition, ", ".join(idents))
    assert text is not None and text.count("fn ") == 3000


def test_tt_repetition_keeps_tokens_glued() -> None:
    body = "macro_rules! num_128 { ($t:ident) => { fn $t() {} }; } num_128!(a); fn b() {}"
    text = expand(FORWARD["serde_if_integer128"], body)
    root = parsed(text)
    assert names(root, "macro_definition") == ["num_128"]
    assert names(root, "function_item") == ["b"]


def test_mutated_definitions_and_invocations_never_raise() -> None:
    rnd = random.Random(7)
    pieces = [*"$()[]{}<>,;:=!#'\"r\\/*+?-.&|ab01 \n", "=>", "::", "$x:ty", "$($x:tt)*", "'a"]
    definitions = [PRIMITIVE, DEFINE_BOOL, PARTIALEQ_NUMERIC, DECLARE_ERROR_TRAIT]
    for _ in range(2000):
        definition = rnd.choice(definitions)
        cut = rnd.randrange(len(definition))
        mutated = definition[:cut] + rnd.choice(pieces) + definition[cut + rnd.randrange(3) :]
        invocation = "".join(rnd.choice(pieces) for _ in range(rnd.randrange(12)))
        for text in (expand(mutated, invocation), expand(definition, invocation)):
            assert text is None or isinstance(text, str)
        expand_recursive({"m": mutated, **FORWARD}, "m", invocation)


def test_block_comments_and_multiline_literals_keep_the_lines() -> None:
    definition = """
    macro_rules! m {
        ($s:literal /* a /* nested */ comment */ $n:ident) => {
            /** Doc for the constant. */
            const $n: &str = $s; /* gone */ const B: u8 = 1;
            /*! inner doc */
            fn f() {}
        };
    }
    """
    assert expand(definition, '"two\nlines" /* note */ NAME') == (
        '# [ doc = " Doc for the constant. " ] const NAME: &str = "two\nlines"; '
        'const B: u8 = 1; # ! [ doc = " inner doc " ]\nfn f() {}'
    )


@pytest.mark.parametrize(
    ("invocation", "expected"),
    [
        ("a /* x */ b", "a b"),
        ('r#"x"# /**/ c', 'r#"x"# c'),
        ("a \u00a7", None),  # not a Rust token, at the end
        ("\u00a7 a", None),  # ... and at the start
        ("a )", None),
        ("(a", None),
        ('"unterminated', None),
        ("/* open", None),
    ],
)
def test_invocation_lexing(invocation: str, expected: str | None) -> None:
    assert expand("macro_rules! tts { ($($t:tt)*) => { $($t)* }; }", invocation) == expected


def test_groups_without_metavariables_are_transcribed_as_written() -> None:
    definition = """
    macro_rules! v {
        ($($n:ident)*) => {
            $(impl X for $n { fn f(&self) -> [u8; 2] { [0, 1] } fn g() { $crate::h() } })*
        };
    }
    """
    impl = "impl X for {} {{ fn f(&self) -> [u8; 2] {{ [0, 1] }} fn g() {{ crate::h() }} }}"
    assert expand(definition, "A B") == f"{impl.format('A')} {impl.format('B')}"


def test_token_budget_counts_groups_without_metavariables() -> None:
    # Each iteration takes 23 from the 200,000 budget: 2 elements, the token
    # substituted, and the 20 tokens of the group.
    definition = "macro_rules! big { ($($t:tt)*) => { $( $t [ " + "a " * 20 + "] )* }; }"
    text = expand(definition, "x " * 8695)
    assert text is not None and text.count("[") == 8695
    assert expand(definition, "x " * 8696) is None


@pytest.mark.parametrize(
    ("invocation", "expected"),
    [
        (
            "0x1F, a, 'x', true, move, return ; u8",
            "const _: () = 0x1F; const _: () = a; const _: () = 'x'; const _: () = true; "
            "const _: () = move; const _: () = return; type _ = u8;",
        ),
        (
            "0x1F ; u8, _, Self, r#fn",
            "const _: () = 0x1F; type _ = u8; type _ = _; type _ = Self; type _ = r#fn;",
        ),
        ("x ; dyn Tr, u8", "const _: () = x; type _ = dyn Tr; type _ = u8;"),
        ("continue, 'a ; A", "const _: () = continue; const _: () = 'a; type _ = A;"),
        ("x ; dyn", None),
        ("x ; fn", None),
        ("x ; impl", None),
        ("1, 2; u8; ", None),
        ("x; u8 ,", None),
    ],
)
def test_one_token_expr_and_ty_fragments(invocation: str, expected: str | None) -> None:
    definition = """
    macro_rules! l { ($($e:expr),* ; $($t:ty),*) => { $(const _: () = $e;)* $(type _ = $t;)* }; }
    """
    assert expand(definition, invocation) == expected


@pytest.mark.parametrize(
    ("invocation", "expected"),
    [
        ("a => b => c", "fn a() {} fn b() {} fn c() {}"),
        ("a =>", None),
        ("a::b::c ;", "use a :: b :: c ;"),
        ("a : : b ;", "use a :: b ;"),
        ("a:: ;", None),
    ],
)
def test_separators_of_several_tokens(invocation: str, expected: str | None) -> None:
    definition = """
    macro_rules! s {
        ($($a:ident)=>*) => { $(fn $a() {})* };
        ($($a:ident)::+ ;) => { use $($a)::+; };
    }
    """
    assert expand(definition, invocation) == expected


@pytest.mark.parametrize(
    ("definition", "invocation", "expected"),
    [
        (
            """
            macro_rules! wrap {
                ($g:tt $h:tt; $($rest:tt)*) => {
                    fn f() -> u8 { let v = $g; let w = ($h).0; $($rest)* }
                    const C: [u8; 2] = [
                        1, 2];
                };
            }
            """,
            "(1 +\n    2) {\n    /// doc\n    a /* gone */ . b( c )\n}; x[0]{y}",
            'fn f() -> u8 { let v = (1 +\n2); let w = ({ # [ doc = " doc" ]\na . b( c )\n}).0;'
            " x[0]{y} }\nconst C: [u8; 2] = [\n1, 2];",
        ),
        (
            "macro_rules! m { ($($t:tt)*) => { $($t)*; [$($t)*]{$($t),*} }; }",
            '(a)[ b\n c ]{ #[doc = "d"] }',
            '(a)[ b\nc ]{ #[doc = "d"] } ; [ (a)[ b\nc ]{ #[doc = "d"] } ]'
            '{ (a) , [ b\nc ] , { #[doc = "d"] } }',
        ),
        (
            "macro_rules! n { ($e:expr) => { x($e)y $e.z }; }",
            "(a,\n b) + [c]",
            "x((a,\nb) + [c])y (a,\nb) + [c].z",
        ),
    ],
)
def test_groups_render_alike_wherever_they_stand(
    definition: str, invocation: str, expected: str
) -> None:
    # Groups spliced whole (their delimiters marked as standing where the
    # metavariable was) and groups of the definition, with comments, doc comments
    # and line breaks inside; twice, the second time with a cold cache.
    assert expand(definition, invocation) == expected
    expand.cache_clear()
    assert expand(definition, invocation) == expected


def test_groups_of_a_definition_render_alike_when_substituted() -> None:
    # `[x,\n y]` is a group of `outer`'s definition, substituted for `$g` in `inner`.
    definitions = {
        "outer": "macro_rules! outer { ($n:ident) => {"
        " inner!{ [x,\n y] $n } struct S([u8; 2]); }; }",
        "inner": "macro_rules! inner { ($g:tt $n:ident) => {"
        " const $n: [u8; 2] = $g; fn f() { $g.0 } }; }",
    }
    expected = "const N: [u8; 2] = [x,\ny]; fn f() { [x,\ny].0 } struct S([u8; 2]);"
    assert expand_recursive(definitions, "outer", "N") == expected
    assert expand_recursive(definitions, "outer", "N") == expected


WRAPPERS = (
    ("__item", "macro_rules! __item { ($i:item) => { $i }; }"),
    (
        "s",
        "macro_rules! s {"
        " ($(pub struct $i:ident;)*) => ($( s!(it: pub struct $i;); )*);"
        " (it: pub struct $i:ident;) => ( __item! { #[repr(C)] pub struct $i; } ); }",
    ),
)


def test_expand_nested_expands_a_wrapper_s_layers_on_tokens() -> None:
    first = expand(WRAPPERS[1][1], "pub struct A; pub struct B;")
    assert first is not None and "s!(it" in first.replace(" ", "")
    nested = expand_nested(WRAPPERS, first, 4)
    assert nested is not None
    assert " ".join(nested.split()) == ("#[repr(C)] pub struct A; #[repr(C)] pub struct B;")


def test_expand_nested_leaves_expansions_with_items_of_their_own() -> None:
    assert expand_nested(WRAPPERS, "pub struct C; __item! { pub struct D; }", 4) is None
    assert expand_nested(WRAPPERS, "foreign! { pub struct E; }", 4) is None
